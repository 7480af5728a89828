package dev.electrode.app;

/**
 * Where a client's replies go. The core only keeps it and hands it back through
 * {@link Outbox#toClient}; the transport that received the request made it and knows what it is
 * (a UDP socket address, a simulated endpoint).
 */
public interface ClientAddress {}
