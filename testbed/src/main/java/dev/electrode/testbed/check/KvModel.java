package dev.electrode.testbed.check;

import com.google.protobuf.ByteString;

/**
 * The sequential specification of one key of the KV store: the state is the key's value (null:
 * absent). {@link #step} says whether an operation with its observed outcome can come next,
 * and the state after it.
 */
final class KvModel {
    private KvModel() {}

    /** Marks a step that is impossible from the given state. */
    static final Object IMPOSSIBLE = new Object();

    /** The state after {@code op} from {@code state}, or {@link #IMPOSSIBLE} if its outcome cannot come from there. */
    static Object step(ByteString state, KvOperation op) {
        KvOperation.Outcome o = op.outcome();
        switch (op.kind()) {
            case PUT -> {
                if (o.known() && !sameValue(state, o)) return IMPOSSIBLE;
                return op.value();
            }
            case GET -> {
                if (o.known() && !sameValue(state, o)) return IMPOSSIBLE;
                return state;
            }
            case DELETE -> {
                if (o.known() && !sameValue(state, o)) return IMPOSSIBLE;
                return null;
            }
            case CAS -> {
                boolean match = op.expectAbsent() ? state == null : state != null && state.equals(op.expected());
                if (!o.known()) return match ? op.value() : state; // if it took effect at all
                if (o.casApplied() != match) return IMPOSSIBLE;
                if (match) return o.hadValue() && o.value().equals(op.value()) ? op.value() : IMPOSSIBLE;
                return sameValue(state, o) ? state : IMPOSSIBLE;
            }
        }
        throw new IllegalStateException("unknown kind " + op.kind());
    }

    private static boolean sameValue(ByteString state, KvOperation.Outcome o) {
        return o.hadValue() ? state != null && state.equals(o.value()) : state == null;
    }

    /** True if {@code op} cannot change the state, whatever it is (a read). */
    static boolean readOnly(KvOperation op) { return op.kind() == KvOperation.Kind.GET; }
}
