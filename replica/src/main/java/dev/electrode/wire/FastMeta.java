package dev.electrode.wire;

import com.google.protobuf.Message;
import dev.electrode.wire.proto.PrepareMessage;
import dev.electrode.wire.proto.PrepareOKMessage;

/**
 * The 12-byte block after the type name that the eBPF programs read instead of
 * parsing protobuf: three u32 words whose meaning depends on the message (SPEC section 2).
 */
public record FastMeta(int a, int b, int c) {
    /** Twelve zero bytes: every message the programs do not look at. */
    public static final FastMeta ZERO = new FastMeta(0, 0, 0);
    /** A broadcast message that carries no other meta (e.g. Commit). */
    public static final FastMeta BROADCAST_ONLY = new FastMeta(WireFormat.BROADCAST_BIT, 0, 0);

    /** The meta the reference prototype writes for this message (without the broadcast bit). */
    public static FastMeta forMessage(MessageType type, Message body) {
        switch (type) {
            case PREPARE: {
                PrepareMessage p = (PrepareMessage) body;
                return new FastMeta((int) p.getView(), (int) p.getOpnum(), (int) p.getBatchstart());
            }
            case PREPARE_OK:
            case MY_PREPARE_OK: {
                PrepareOKMessage ok = (PrepareOKMessage) body;
                return new FastMeta((int) ok.getView(), (int) ok.getOpnum(), ok.getReplicaIdx());
            }
            case APPEND_ENTRIES: {
                // The offload layer's append: term, last index, first index, where Raft's protocol places them;
                // a heartbeat's first index is above its last.
                dev.electrode.raft.proto.AppendEntries ae = (dev.electrode.raft.proto.AppendEntries) body;
                return of(RaftOffloadProtocol.APPEND_SLOTS.words((int) ae.getTerm(), (int) (ae.getPrevLogIndex() + ae.getEntriesCount()),
                        (int) (ae.getPrevLogIndex() + 1)));
            }
            case APPEND_ENTRIES_RESPONSE:
            case RAFT_FAST_ACK: {
                dev.electrode.raft.proto.AppendEntriesResponse ok = (dev.electrode.raft.proto.AppendEntriesResponse) body;
                return of(RaftOffloadProtocol.ACK_SLOTS.words((int) ok.getTerm(), (int) ok.getMatchIndex(), ok.getFollower()));
            }
            default:
                return ZERO;
        }
    }

    /** The meta of three words a, b, c. */
    public static FastMeta of(int[] words) { return new FastMeta(words[0], words[1], words[2]); }

    /** Word {@code i} (0: a, 1: b, 2: c). */
    public int word(int i) {
        return switch (i) {
            case 0 -> a;
            case 1 -> b;
            case 2 -> c;
            default -> throw new IndexOutOfBoundsException("fast meta has words 0..2, not " + i);
        };
    }

    /** This meta with the broadcast bit set in word a (VR's epoch word). */
    public FastMeta withBroadcastBit() { return withBroadcastBit(0); }

    /** This meta with the broadcast bit set in word {@code epochWord}, where the protocol keeps the append's epoch. */
    public FastMeta withBroadcastBit(int epochWord) {
        int[] w = {a, b, c};
        w[epochWord] |= WireFormat.BROADCAST_BIT;
        return of(w);
    }

    /** True if word a carries the broadcast bit. */
    public boolean broadcastBit() {
        return (a & WireFormat.BROADCAST_BIT) != 0;
    }
}
