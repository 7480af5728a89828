package dev.electrode.testbed.check;

import com.google.protobuf.ByteString;
import dev.electrode.testbed.check.KvOperation.Kind;
import dev.electrode.testbed.check.KvOperation.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The checker accepts linearizable histories (concurrent, with indeterminate operations) and
 * rejects the classic anomalies: a stale read, a lost write, a duplicate apply, a cas on an old
 * value; it reports the failing key's shortest failing prefix; it checks 100,000 operations in
 * seconds.
 */
class LinearizabilityCheckerTest {
    private final List<KvOperation> h = new ArrayList<>();
    private long nextId;

    private static ByteString s(String v) { return v == null ? null : ByteString.copyFromUtf8(v); }

    private void put(int p, String k, String v, Outcome o, long from, long to) {
        h.add(new KvOperation(nextId++, p, Kind.PUT, s(k), s(v), null, false, o, from, to));
    }

    private void get(int p, String k, Outcome o, long from, long to) {
        h.add(new KvOperation(nextId++, p, Kind.GET, s(k), null, null, false, o, from, to));
    }

    private void del(int p, String k, Outcome o, long from, long to) {
        h.add(new KvOperation(nextId++, p, Kind.DELETE, s(k), null, null, false, o, from, to));
    }

    private void cas(int p, String k, String expected, String v, Outcome o, long from, long to) {
        h.add(new KvOperation(nextId++, p, Kind.CAS, s(k), s(v), s(expected), expected == null, o, from, to));
    }

    private static final long U = Long.MAX_VALUE; // completion of an indeterminate operation

    private LinearizabilityChecker.Result check() {
        LinearizabilityChecker.Result r = LinearizabilityChecker.check(h);
        System.out.println(r.report());
        return r;
    }

    @Test
    void sequentialAndConcurrentHistoriesAreLinearizable() {
        put(0, "k", "a", Outcome.absent(), 0, 10);
        get(1, "k", Outcome.of(s("a")), 20, 30);
        // Two overlapping writes; a read overlapping both may see either, a later one the order chosen.
        put(0, "k", "b", Outcome.of(s("a")), 40, 100);
        put(1, "k", "c", Outcome.of(s("b")), 50, 90);
        get(2, "k", Outcome.of(s("b")), 60, 70);
        get(2, "k", Outcome.of(s("c")), 110, 120);
        cas(0, "k", "c", "d", Outcome.cas(true, s("d")), 130, 140);
        cas(1, "k", "c", "e", Outcome.cas(false, s("d")), 150, 160);
        del(2, "k", Outcome.of(s("d")), 170, 180);
        get(0, "k", Outcome.absent(), 190, 200);
        cas(1, "k", null, "f", Outcome.cas(true, s("f")), 210, 220);
        assertTrue(check().linearizable());
    }

    @Test
    void anIndeterminateWriteMayHaveHappenedOrNot() {
        put(0, "k", "a", Outcome.absent(), 0, 10);
        put(1, "k", "lost?", Outcome.UNKNOWN, 20, U);
        get(2, "k", Outcome.of(s("a")), 30, 40);      // not yet
        get(2, "k", Outcome.of(s("lost?")), 50, 60);  // now it took effect
        assertTrue(check().linearizable());
        h.clear();
        put(0, "k", "a", Outcome.absent(), 0, 10);
        put(1, "k", "never", Outcome.UNKNOWN, 20, U);
        get(2, "k", Outcome.of(s("a")), 30, 40);      // it never took effect: also fine
        assertTrue(check().linearizable());
    }

    @Test
    void aStaleReadIsRejected() {
        put(0, "k", "a", Outcome.absent(), 0, 10);
        put(0, "k", "b", Outcome.of(s("a")), 20, 30);
        get(1, "k", Outcome.of(s("a")), 40, 50); // after b completed
        LinearizabilityChecker.Result r = check();
        assertFalse(r.linearizable());
        assertEquals(3, r.failures().get(0).witness().size(), "the two writes and the stale read");
    }

    @Test
    void aLostWriteIsRejected() {
        put(0, "k", "a", Outcome.absent(), 0, 10);  // acknowledged
        get(1, "k", Outcome.absent(), 20, 30);      // yet gone
        assertFalse(check().linearizable());
    }

    @Test
    void aDuplicateApplyIsRejected() {
        // One put applied twice: its second application is seen as the previous value of a later put.
        put(0, "k", "a", Outcome.absent(), 0, 10);
        put(1, "k", "b", Outcome.of(s("a")), 20, 30);
        put(2, "k", "c", Outcome.of(s("a")), 40, 50); // "a" again: the first put applied a second time
        assertFalse(check().linearizable());
        h.clear();
        // A counter-like cas chain: the same cas succeeding twice.
        cas(0, "k", null, "1", Outcome.cas(true, s("1")), 0, 10);
        cas(1, "k", "1", "2", Outcome.cas(true, s("2")), 20, 30);
        cas(1, "k", "1", "2", Outcome.cas(true, s("2")), 40, 50); // applied again on an old value
        assertFalse(check().linearizable());
    }

    @Test
    void aCasOnAnOldValueIsRejected() {
        put(0, "k", "a", Outcome.absent(), 0, 10);
        put(0, "k", "b", Outcome.of(s("a")), 20, 30);
        cas(1, "k", "a", "c", Outcome.cas(true, s("c")), 40, 50); // "a" is no longer there
        assertFalse(check().linearizable());
        h.clear();
        put(0, "k", "a", Outcome.absent(), 0, 10);
        cas(1, "k", "a", "c", Outcome.cas(false, s("a")), 20, 30); // it should have applied
        assertFalse(check().linearizable());
    }

    @Test
    void aViolationOnOneKeyIsReportedWithItsShortestFailingPrefix() {
        for (int i = 0; i < 50; i++) put(0, "ok", "v" + i, i == 0 ? Outcome.absent() : Outcome.of(s("v" + (i - 1))), i * 10, i * 10 + 5);
        put(1, "bad", "a", Outcome.absent(), 0, 5);
        for (int i = 0; i < 20; i++) get(2, "bad", Outcome.of(s("a")), 10 + i * 10, 15 + i * 10);
        put(1, "bad", "b", Outcome.of(s("a")), 300, 305);
        get(2, "bad", Outcome.of(s("a")), 310, 315); // stale
        for (int i = 0; i < 20; i++) get(2, "bad", Outcome.of(s("b")), 400 + i * 10, 405 + i * 10);
        LinearizabilityChecker.Result r = check();
        assertEquals(1, r.failures().size());
        LinearizabilityChecker.KeyFailure f = r.failures().get(0);
        assertEquals("bad", f.key().toStringUtf8());
        assertEquals(43, f.operations());
        List<Long> ids = f.witness().stream().map(KvOperation::id).toList();
        assertEquals(3, ids.size(), "the two writes and the stale read: " + ids);
        assertTrue(r.report().contains("get bad => 'a'"), r.report());
    }

    /**
     * A random linearizable history: a store applies each operation at its generation time,
     * inside the operation's interval; 64 client slots, about 20 operations in flight, 500 keys,
     * one in 200 operations indeterminate (its slot goes on as a new process).
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aHundredThousandOperationsAreCheckedInSeconds() {
        Random rnd = new Random(42);
        Map<String, String> store = new HashMap<>();
        int slots = 64, keys = 500, ops = 100_000;
        long[] busyUntil = new long[slots];
        int[] process = new int[slots];
        for (int i = 0; i < slots; i++) process[i] = i;
        int nextProcess = slots;
        long t = 100;
        for (int i = 0; i < ops; i++) {
            t += 1 + rnd.nextInt(3);
            int p = rnd.nextInt(slots);
            while (busyUntil[p] >= t) p = (p + 1) % slots;
            long inv = Math.max(busyUntil[p] + 1, t - rnd.nextInt(20));
            long comp = t + rnd.nextInt(20);
            busyUntil[p] = comp;
            String k = "k" + rnd.nextInt(keys);
            String prev = store.get(k);
            boolean timeout = rnd.nextInt(200) == 0;
            int proc = process[p];
            if (timeout) process[p] = nextProcess++;
            switch (rnd.nextInt(4)) {
                case 0 -> {
                    String v = "v" + i;
                    store.put(k, v);
                    put(proc, k, v, timeout ? Outcome.UNKNOWN : prev == null ? Outcome.absent() : Outcome.of(s(prev)), inv, timeout ? U : comp);
                }
                case 1 -> get(proc, k, prev == null ? Outcome.absent() : Outcome.of(s(prev)), inv, comp);
                case 2 -> {
                    store.remove(k);
                    del(proc, k, timeout ? Outcome.UNKNOWN : prev == null ? Outcome.absent() : Outcome.of(s(prev)), inv, timeout ? U : comp);
                }
                default -> {
                    String expected = rnd.nextBoolean() ? prev : "v" + rnd.nextInt(i + 1);
                    boolean match = expected == null ? prev == null : expected.equals(prev);
                    String v = "c" + i;
                    if (match) store.put(k, v);
                    cas(proc, k, expected, v, timeout ? Outcome.UNKNOWN : Outcome.cas(match, s(match ? v : prev)), inv, timeout ? U : comp);
                }
            }
        }
        LinearizabilityChecker.Result r = LinearizabilityChecker.check(h);
        System.out.println("random linearizable history: " + r.summary());
        assertTrue(r.linearizable(), r.report());
        assertEquals(ops, r.operations());
        // The same history with one read changed to a value its key never held at that point.
        int victim = -1;
        for (int i = h.size() / 2; i < h.size(); i++) if (h.get(i).kind() == Kind.GET && h.get(i).determinate()) { victim = i; break; }
        KvOperation g = h.get(victim);
        h.set(victim, new KvOperation(g.id(), g.process(), g.kind(), g.key(), null, null, false, Outcome.of(s("never-written")),
                g.invokeNanos(), g.completeNanos()));
        LinearizabilityChecker.Result bad = LinearizabilityChecker.check(h);
        System.out.println("with one forged read: " + bad.summary());
        assertEquals(1, bad.failures().size());
        assertEquals(g.key(), bad.failures().get(0).key());
    }
}
