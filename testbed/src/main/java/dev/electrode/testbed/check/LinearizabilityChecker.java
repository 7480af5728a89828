package dev.electrode.testbed.check;

import com.google.protobuf.ByteString;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a KV history for linearizability: Wing and Gong's search with Lowe's memoization of
 * (operations linearized, state), one key at a time (every operation touches one key, so the
 * history is linearizable if and only if each key's is). An indeterminate operation (timed
 * out) may take effect at any point after its invocation, or never.
 *
 * <p>On a violation it reports, per key, the shortest prefix of the key's history that has no
 * linearization, without the reads and indeterminate operations it does not need to fail.
 */
public final class LinearizabilityChecker {
    /** Search steps allowed per key before the verdict is "unknown" (reported as a failure). */
    static final long STEP_BUDGET = 50_000_000;

    /** A key whose history has no linearization (or whose search ran out of budget). */
    public record KeyFailure(ByteString key, int operations, List<KvOperation> witness, String explanation) {}

    /** The verdict and figures of one check. */
    public record Result(int operations, int keys, int indeterminate, long nanos, List<KeyFailure> failures) {
        public boolean linearizable() { return failures.isEmpty(); }

        /** One line: verdict and figures. */
        public String summary() {
            return String.format("%s: %d operations (%d indeterminate) on %d keys checked in %.0f ms",
                    linearizable() ? "linearizable" : "NOT linearizable (" + failures.size() + " keys)", operations, indeterminate, keys,
                    nanos / 1e6);
        }

        /** The summary and, for each failing key, its witness. */
        public String report() {
            StringBuilder sb = new StringBuilder(summary());
            for (KeyFailure f : failures) {
                long origin = f.witness().isEmpty() ? 0 : f.witness().get(0).invokeNanos();
                sb.append("\n  key ").append(f.key().toStringUtf8()).append(" (").append(f.operations()).append(" operations): ")
                        .append(f.explanation());
                for (KvOperation op : f.witness()) sb.append("\n    ").append(op.describe(origin));
            }
            return sb.toString();
        }
    }

    private LinearizabilityChecker() {}

    /** Checks {@code history}, every key on its own. */
    public static Result check(List<KvOperation> history) {
        long t0 = System.nanoTime();
        Map<ByteString, List<KvOperation>> byKey = new LinkedHashMap<>();
        int indeterminate = 0;
        for (KvOperation op : history) {
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
            if (!op.determinate()) indeterminate++;
        }
        List<KeyFailure> failures = new ArrayList<>();
        for (Map.Entry<ByteString, List<KvOperation>> e : byKey.entrySet()) {
            Verdict v = search(e.getValue());
            if (v == Verdict.YES) continue;
            if (v == Verdict.UNKNOWN) {
                failures.add(new KeyFailure(e.getKey(), e.getValue().size(), List.of(),
                        "the search gave up after " + STEP_BUDGET + " steps: no verdict"));
                continue;
            }
            failures.add(new KeyFailure(e.getKey(), e.getValue().size(), witness(e.getValue()),
                    "no order of these operations explains what the clients saw (the shortest failing prefix of the key's history)"));
        }
        return new Result(history.size(), byKey.size(), indeterminate, System.nanoTime() - t0, failures);
    }

    enum Verdict { YES, NO, UNKNOWN }

    /** One event of the search's list: an operation's invocation, or its completion. */
    private static final class Event {
        final KvOperation op;
        final int index;
        final boolean call;
        final long time;
        Event match; // the call's completion (null: indeterminate), or the completion's call
        Event prev, next;

        Event(KvOperation op, int index, boolean call, long time) {
            this.op = op;
            this.index = index;
            this.call = call;
            this.time = time;
        }
    }

    private record Frame(Event call, ByteString state) {}

    private record Seen(BitSet linearized, ByteString state) {}

    /** The search over one key's operations. */
    static Verdict search(List<KvOperation> ops) {
        List<Event> events = new ArrayList<>(2 * ops.size());
        for (int i = 0; i < ops.size(); i++) {
            KvOperation op = ops.get(i);
            Event call = new Event(op, i, true, op.invokeNanos());
            events.add(call);
            if (op.determinate()) {
                Event ret = new Event(op, i, false, op.completeNanos());
                call.match = ret;
                ret.match = call;
                events.add(ret);
            }
        }
        // At equal times a call goes first: the two operations overlap (neither precedes the other).
        events.sort(Comparator.comparingLong((Event e) -> e.time).thenComparing(e -> !e.call));
        Event head = new Event(null, -1, true, Long.MIN_VALUE);
        Event last = head;
        for (Event e : events) {
            last.next = e;
            e.prev = last;
            last = e;
        }
        BitSet linearized = new BitSet(ops.size());
        Set<Seen> seen = new HashSet<>();
        Deque<Frame> stack = new ArrayDeque<>();
        ByteString state = null;
        Event entry = head.next;
        long steps = 0;
        while (entry != null) {
            if (++steps > STEP_BUDGET) return Verdict.UNKNOWN;
            if (entry.call) {
                Object after = KvModel.step(state, entry.op);
                if (after != KvModel.IMPOSSIBLE) {
                    BitSet next = (BitSet) linearized.clone();
                    next.set(entry.index);
                    if (seen.add(new Seen(next, (ByteString) after))) {
                        stack.push(new Frame(entry, state));
                        linearized = next;
                        state = (ByteString) after;
                        lift(entry);
                        entry = head.next;
                        continue;
                    }
                }
                entry = entry.next;
            } else {
                // A completion whose operation is not linearized yet: undo the latest choice.
                if (stack.isEmpty()) return Verdict.NO;
                Frame f = stack.pop();
                state = f.state();
                linearized.clear(f.call().index);
                unlift(f.call());
                entry = f.call().next;
            }
        }
        return Verdict.YES; // no completion is left: every determinate operation is linearized
    }

    private static void lift(Event call) {
        call.prev.next = call.next;
        if (call.next != null) call.next.prev = call.prev;
        Event ret = call.match;
        if (ret != null) {
            ret.prev.next = ret.next;
            if (ret.next != null) ret.next.prev = ret.prev;
        }
    }

    private static void unlift(Event call) {
        Event ret = call.match;
        if (ret != null) {
            ret.prev.next = ret;
            if (ret.next != null) ret.next.prev = ret;
        }
        call.prev.next = call;
        if (call.next != null) call.next.prev = call;
    }

    /**
     * The shortest failing prefix of a key's history: the operations invoked before some time T,
     * those completing after T taken as indeterminate. Prefixes of a linearizable history are
     * linearizable, so the first T that fails is found by bisection over completion times. Then
     * the reads and indeterminate operations it does not need are dropped.
     */
    static List<KvOperation> witness(List<KvOperation> ops) {
        List<Long> ends = new ArrayList<>();
        for (KvOperation op : ops) if (op.determinate()) ends.add(op.completeNanos());
        ends.sort(null);
        int lo = 0, hi = ends.size() - 1; // prefix(ends[hi]) fails: it is the whole history
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (search(prefix(ops, ends.get(mid))) == Verdict.NO) hi = mid;
            else lo = mid + 1;
        }
        List<KvOperation> w = new ArrayList<>(prefix(ops, ends.get(hi)));
        for (int i = w.size() - 1; i >= 0; i--) {
            KvOperation op = w.get(i);
            if (op.determinate() && !KvModel.readOnly(op)) continue;
            if (op.completeNanos() == ends.get(hi)) continue; // the operation at which it fails
            List<KvOperation> without = new ArrayList<>(w);
            without.remove(i);
            if (search(without) == Verdict.NO) w = without;
        }
        w.sort(Comparator.comparingLong(KvOperation::invokeNanos));
        return w;
    }

    /** The operations invoked at or before {@code t}; those completing after it become indeterminate. */
    private static List<KvOperation> prefix(List<KvOperation> ops, long t) {
        List<KvOperation> p = new ArrayList<>();
        for (KvOperation op : ops) {
            if (op.invokeNanos() > t) continue;
            p.add(op.completeNanos() <= t ? op : new KvOperation(op.id(), op.process(), op.kind(), op.key(), op.value(), op.expected(),
                    op.expectAbsent(), KvOperation.Outcome.UNKNOWN, op.invokeNanos(), Long.MAX_VALUE));
        }
        return p;
    }
}
