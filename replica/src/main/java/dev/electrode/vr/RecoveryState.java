package dev.electrode.vr;

import dev.electrode.wire.proto.RecoveryResponseMessage;

import java.util.HashMap;
import java.util.Map;

/** A recovery in progress (VR Revisited section 4.3): its nonce, the responses so far, the op to reach. */
final class RecoveryState {
    long nonce;
    final Map<Integer, RecoveryResponseMessage> responses = new HashMap<>();
    /** The leader's lastOp to fetch up to; -1 while responses are still being collected. */
    long targetOp = -1;
    /** Something moved the recovery on since the last view-change tick (otherwise it starts over). */
    boolean progress;

    /** Starts an attempt with a fresh nonce. */
    void begin(long nonce) {
        this.nonce = nonce;
        responses.clear();
        targetOp = -1;
        progress = true;
    }

    /** True while waiting for f+1 responses, the leader's among them. */
    boolean collecting() { return targetOp < 0; }
}
