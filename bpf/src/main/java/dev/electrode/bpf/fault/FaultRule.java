package dev.electrode.bpf.fault;

import java.util.OptionalInt;

/**
 * One fault: which frames it matches (sender and receiver hosts, message kind, view and
 * opnum from the fast meta) and what happens to them, with what probability. Build with the
 * static factories and the with* methods, e.g.
 * {@code FaultRule.drop().from(2).to(0).ofType(Kind.PREPARE_OK).opnum(17)}.
 */
public record FaultRule(Action action, Kind kind, long srcHosts, long dstHosts, OptionalInt view, OptionalInt opnum,
                        double probability, long seed) {
    /** What happens to a matching frame. */
    public enum Action {
        DROP(1), DUPLICATE(2), CORRUPT(3), DELAY(4);

        final int code;

        Action(int code) { this.code = code; }
    }

    /** Message kinds the fault program recognises by type name. */
    public enum Kind {
        ANY(0), PREPARE(1), PREPARE_OK(2), MY_PREPARE_OK(3), COMMIT(4);

        final int code;

        Kind(int code) { this.code = code; }
    }

    public FaultRule {
        if (!(probability >= 0 && probability <= 1)) throw new IllegalArgumentException("probability must be in [0,1]: " + probability);
    }

    private static FaultRule of(Action a) { return new FaultRule(a, Kind.ANY, 0, 0, OptionalInt.empty(), OptionalInt.empty(), 1.0, 1); }

    /** Drops matching frames (always, until {@link #probability(double)} says otherwise). */
    public static FaultRule drop() { return of(Action.DROP); }

    /** Delivers matching frames twice. */
    public static FaultRule duplicate() { return of(Action.DUPLICATE); }

    /** Flips one random byte of the UDP payload of matching frames. */
    public static FaultRule corrupt() { return of(Action.CORRUPT); }

    /** Sends matching frames through the delay line (its delay and jitter are set where it is created). */
    public static FaultRule delay() { return of(Action.DELAY); }

    /** Only frames sent by these hosts (topology indexes). */
    public FaultRule from(int... hosts) { return new FaultRule(action, kind, mask(hosts), dstHosts, view, opnum, probability, seed); }

    /** Only frames addressed to these hosts. */
    public FaultRule to(int... hosts) { return new FaultRule(action, kind, srcHosts, mask(hosts), view, opnum, probability, seed); }

    public FaultRule ofType(Kind k) { return new FaultRule(action, k, srcHosts, dstHosts, view, opnum, probability, seed); }

    public FaultRule view(int v) { return new FaultRule(action, kind, srcHosts, dstHosts, OptionalInt.of(v), opnum, probability, seed); }

    public FaultRule opnum(int op) { return new FaultRule(action, kind, srcHosts, dstHosts, view, OptionalInt.of(op), probability, seed); }

    /** Applies to each matching frame with probability {@code p}, rolled by a generator seeded with {@code seed}. */
    public FaultRule probability(double p, long seed) { return new FaultRule(action, kind, srcHosts, dstHosts, view, opnum, p, seed); }

    static long mask(int... hosts) {
        long m = 0;
        for (int h : hosts) {
            if (h < 0 || h >= 64) throw new IllegalArgumentException("host index " + h + " out of range 0..63");
            m |= 1L << h;
        }
        return m;
    }

    /** The 32-bit threshold of the program's dice: fires when the next value is below it. */
    int threshold() {
        if (probability >= 1.0) return 0xffffffff;
        return (int) Math.min(0xffffffffL, (long) (probability * 4294967296.0));
    }
}
