package dev.electrode.client;

/** A request got no reply before its deadline, after every retransmission. */
public final class RequestTimeoutException extends Exception {
    public RequestTimeoutException(String message) { super(message); }
}
