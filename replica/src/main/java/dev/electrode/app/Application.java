package dev.electrode.app;

import com.google.protobuf.ByteString;

/** The replicated state machine. Calls arrive on the replica's single protocol thread. */
public interface Application {
    /** Executes a committed operation; called exactly once per operation, in opnum order. Must not throw. */
    ByteString execute(ByteString op);

    /** Executes a read-only operation outside the log; the answer may be stale. Must not throw. */
    ByteString executeUnlogged(ByteString op);

    /** The whole state as bytes, such that {@link #restore} of them gives an equal state. */
    ByteString snapshot();

    /**
     * Replaces the whole state with one from {@link #snapshot}.
     *
     * @throws IllegalArgumentException if {@code state} is not such bytes; the state is then unchanged
     */
    void restore(ByteString state);
}
