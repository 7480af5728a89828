package dev.electrode.wire;

import dev.electrode.offload.OffloadProtocol;

/** The Raft messages the offloads act on: AppendEntries is the append, AppendEntriesResponse the ack. */
public final class RaftOffloadProtocol {
    private RaftOffloadProtocol() {}

    /** Raft has no broadcast-only message: AppendEntries itself is fanned out (heartbeats included). */
    public static final OffloadProtocol MESSAGES = new OffloadProtocol(MessageType.APPEND_ENTRIES.typeName(),
            MessageType.APPEND_ENTRIES_RESPONSE.typeName(), MessageType.RAFT_FAST_ACK.typeName(), null);
}
