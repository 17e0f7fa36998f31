using System.Threading.Channels;

namespace Numina.Engine.Events;

/// <summary>Where a run's events go. Called from many candidate tasks at once: implementations must be thread-safe.</summary>
public interface IRunEventSink
{
    void Publish(RunEvent runEvent);
}

/// <summary>Events as an async stream (the command line and tests read it with <c>await foreach</c>).</summary>
public sealed class ChannelEventSink : IRunEventSink
{
    private readonly Channel<RunEvent> _channel = Channel.CreateUnbounded<RunEvent>(new UnboundedChannelOptions { SingleReader = true });

    public void Publish(RunEvent runEvent) => _channel.Writer.TryWrite(runEvent);

    public void Complete() => _channel.Writer.TryComplete();

    public IAsyncEnumerable<RunEvent> ReadAllAsync(CancellationToken cancellationToken = default) => _channel.Reader.ReadAllAsync(cancellationToken);
}

/// <summary>Keeps every event in memory, in order.</summary>
public sealed class RecordingEventSink : IRunEventSink
{
    private readonly List<RunEvent> _events = [];

    public void Publish(RunEvent runEvent)
    {
        lock (_events) _events.Add(runEvent);
    }

    public IReadOnlyList<RunEvent> Events
    {
        get { lock (_events) return _events.ToList(); }
    }
}

/// <summary>Every event to each of several sinks, in order (e.g. the page's view and the run store).</summary>
public sealed class TeeEventSink(params IRunEventSink[] sinks) : IRunEventSink
{
    public void Publish(RunEvent runEvent)
    {
        foreach (var sink in sinks) sink.Publish(runEvent);
    }
}

public sealed class NullEventSink : IRunEventSink
{
    public static NullEventSink Instance { get; } = new();
    public void Publish(RunEvent runEvent) { }
}
