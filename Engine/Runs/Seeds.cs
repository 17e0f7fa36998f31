namespace Numina.Engine.Runs;

/// <summary>
/// Per-attempt seeds derived from the run's one global seed. A candidate's sampler depends only on (run seed,
/// candidate index, attempt number), never on scheduling; a restart gets a new seed, or it would redraw the same text.
/// </summary>
public static class Seeds
{
    public static ulong ForAttempt(ulong runSeed, int candidate, int attempt) =>
        SplitMix64(SplitMix64(runSeed ^ 0x9E3779B97F4A7C15UL * (ulong)(candidate + 1)) + (ulong)attempt);

    /// <summary>
    /// The seed of one round of an attempt: the attempt's own for its first round, then one per round after it. Each
    /// round's draws thus depend only on its context and this seed, as a server request's do (it carries one seed).
    /// It has 63 bits: servers take a seed as a signed 64-bit integer (vLLM refuses more), and a round must draw the
    /// same over HTTP as in-process.
    /// </summary>
    public static ulong ForRound(ulong attemptSeed, int roundOfAttempt) =>
        (roundOfAttempt == 0 ? attemptSeed : SplitMix64(attemptSeed + 0xD1B54A32D192ED03UL * (ulong)roundOfAttempt)) & long.MaxValue;

    public static ulong Draw() => (ulong)Random.Shared.NextInt64() ^ ((ulong)Random.Shared.Next() << 63);

    private static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
