package dev.electrode.vr;

import com.google.protobuf.ByteString;

/** The replicated state machine. Calls arrive on the replica's single protocol thread. */
public interface Application {
    /** Executes a committed operation; called exactly once per operation, in opnum order. Must not throw. */
    ByteString execute(ByteString op);

    /** Executes a read-only operation outside the log; the answer may be stale. Must not throw. */
    ByteString executeUnlogged(ByteString op);
}
