package dev.electrode.wire;

/** Outcome of decoding one datagram. */
public sealed interface DecodeResult {
    /** A complete message. */
    record Decoded(Frame frame) implements DecodeResult {}

    /** The datagram was dropped for {@code error} (already counted). */
    record Rejected(DecodeError error) implements DecodeResult {}

    /** A valid fragment was stored; the message is not complete yet. */
    record Pending() implements DecodeResult {}

    /** A kernel-built acknowledgement went to the caller's {@link KernelAckSink} as its fields. */
    record Delivered() implements DecodeResult {}

    Pending PENDING = new Pending();
    Delivered DELIVERED = new Delivered();
}
