package dev.electrode.capture;

/** A capture file that cannot be opened or read. */
public final class CaptureException extends RuntimeException {
    public CaptureException(String message) { super(message); }

    public CaptureException(String message, Throwable cause) { super(message, cause); }
}
