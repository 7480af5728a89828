package dev.electrode.netns;

/** A namespace or link operation failed; the message names the operation and the kernel's error text. */
public final class NetnsException extends RuntimeException {
    public NetnsException(String message) { super(message); }

    public NetnsException(String message, Throwable cause) { super(message, cause); }
}
