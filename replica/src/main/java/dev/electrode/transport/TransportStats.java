package dev.electrode.transport;

/** Datagram counters of one endpoint, written by its event loop. */
public final class TransportStats {
    public volatile long datagramsSent;
    public volatile long datagramsReceived;
    public volatile long messagesFragmented;
    /** ICMP errors (port unreachable, no route) reported on the socket: expected while a peer is down. */
    public volatile long socketErrors;
    /** Exceptions thrown while handling a datagram: each also goes to the receiver's error channel. */
    public volatile long handlerErrors;
}
