namespace Numina.Engine.Models.Remote;

/// <summary>
/// The replicas serving one model: each request goes to the healthy replica with the fewest requests in flight (never
/// more than its <see cref="ServerEndpoint.MaxInFlight"/>). A replica that fails
/// <see cref="RemoteModelOptions.FailuresBeforeRest"/> requests in a row rests for <see cref="RemoteModelOptions.RestSeconds"/>
/// and is then tried again; when every replica rests, the one that rested longest is tried anyway (a lone server
/// that restarts must be found again).
/// </summary>
internal sealed class ReplicaPool(RemoteModelOptions options, TimeProvider clock)
{
    private readonly object _gate = new();
    private readonly SemaphoreSlim _released = new(0);
    private readonly Replica[] _replicas = options.Endpoints.Select((e, i) => new Replica(e, i)).ToArray();

    public sealed class Replica(ServerEndpoint endpoint, int index)
    {
        public ServerEndpoint Endpoint { get; } = endpoint;
        public int Index { get; } = index;
        public int InFlight;
        public int ConsecutiveFailures;
        public DateTimeOffset RestingUntil;
        public long Requests, Failures;
        public string? LastError;
    }

    public IReadOnlyList<Replica> Replicas => _replicas;

    /// <summary>A place on a replica; dispose it when the request ends, after saying how it went.</summary>
    public sealed class Lease(ReplicaPool pool, Replica replica) : IDisposable
    {
        private int _done;
        public Replica Replica { get; } = replica;
        public ServerEndpoint Endpoint => Replica.Endpoint;

        public void Succeeded() => pool.Report(Replica, null);
        public void Failed(string error) => pool.Report(Replica, error);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) != 0) return;
            lock (pool._gate) Replica.InFlight--;
            pool._released.Release();
        }
    }

    public async Task<Lease> AcquireAsync(CancellationToken ct)
    {
        while (true)
        {
            lock (_gate)
            {
                var now = clock.GetUtcNow();
                var open = _replicas.Where(r => r.InFlight < r.Endpoint.MaxInFlight).ToList();
                var healthy = open.Where(r => r.RestingUntil <= now).ToList();
                // Every replica rests: try the one whose rest began first rather than failing the round outright.
                var pick = healthy.Count > 0
                    ? healthy.OrderBy(r => r.ConsecutiveFailures > 0).ThenBy(r => (double)r.InFlight / r.Endpoint.MaxInFlight).ThenBy(r => r.Index).First()
                    : _replicas.All(r => r.RestingUntil > now) ? open.OrderBy(r => r.RestingUntil).FirstOrDefault() : null;
                if (pick is not null)
                {
                    pick.InFlight++;
                    pick.Requests++;
                    return new Lease(this, pick);
                }
            }
            // All places are taken: wait for one to free (or a rest to end).
            await _released.WaitAsync(TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(false);
        }
    }

    private void Report(Replica replica, string? error)
    {
        lock (_gate)
        {
            if (error is null)
            {
                replica.ConsecutiveFailures = 0;
                replica.RestingUntil = default;
                return;
            }
            replica.Failures++;
            replica.LastError = error;
            if (++replica.ConsecutiveFailures >= options.FailuresBeforeRest)
                replica.RestingUntil = clock.GetUtcNow().AddSeconds(options.RestSeconds);
        }
    }

    /// <summary>Each replica in words: requests, failures, whether it rests (the status page and the logs).</summary>
    public IReadOnlyList<string> Describe()
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            return _replicas.Select(r => $"{r.Endpoint.BaseUrl} ({r.Endpoint.Model}): {r.InFlight}/{r.Endpoint.MaxInFlight} in flight, {r.Requests} requests, {r.Failures} failed" +
                (r.RestingUntil > now ? $", resting {(r.RestingUntil - now).TotalSeconds:0} s after: {r.LastError}" : "")).ToList();
        }
    }
}
