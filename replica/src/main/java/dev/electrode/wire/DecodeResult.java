package dev.electrode.wire;

/** Outcome of decoding one datagram. */
public sealed interface DecodeResult {
    /** A complete message. */
    record Decoded(Frame frame) implements DecodeResult {}

    /** The datagram was dropped for {@code error} (already counted). */
    record Rejected(DecodeError error) implements DecodeResult {}

    /** A valid fragment was stored; the message is not complete yet. */
    record Pending() implements DecodeResult {}

    Pending PENDING = new Pending();
}
