package dev.electrode.transport;

/** Datagram counters of one endpoint, written by its event loop. */
public final class TransportStats {
    public volatile long datagramsSent;
    public volatile long datagramsReceived;
    public volatile long messagesFragmented;
    public volatile long socketErrors;
}
