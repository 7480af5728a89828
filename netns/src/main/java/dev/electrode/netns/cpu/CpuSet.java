package dev.electrode.netns.cpu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.util.BitSet;

/** A set of CPU numbers, written as Linux writes them: "0-2,5". */
public final class CpuSet {
    private final BitSet cpus;

    private CpuSet(BitSet cpus) {
        this.cpus = (BitSet) cpus.clone();
    }

    /** Parses a CPU list such as "1", "0-3" or "0,2-3"; throws with the offending part on bad input. */
    public static CpuSet parse(String list) {
        BitSet bits = new BitSet();
        String s = list.strip();
        if (s.isEmpty()) throw new IllegalArgumentException("empty CPU list");
        for (String part : s.split(",")) {
            String p = part.strip();
            try {
                int dash = p.indexOf('-');
                int lo = Integer.parseInt(dash < 0 ? p : p.substring(0, dash));
                int hi = dash < 0 ? lo : Integer.parseInt(p.substring(dash + 1));
                if (lo < 0 || hi < lo || hi > 4095) throw new NumberFormatException();
                bits.set(lo, hi + 1);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad CPU list '" + list + "': '" + p + "' is not a CPU number or range like 0-3");
            }
        }
        return new CpuSet(bits);
    }

    /** The CPUs this machine has online (/sys/devices/system/cpu/online). */
    public static CpuSet online() {
        try {
            return parse(Files.readString(Path.of("/sys/devices/system/cpu/online")));
        } catch (IOException e) {
            int n = Runtime.getRuntime().availableProcessors();
            return parse("0-" + (n - 1));
        }
    }

    /** This set, or an error naming the CPUs that are not online. */
    public CpuSet requireOnline() {
        BitSet missing = (BitSet) cpus.clone();
        missing.andNot(online().cpus);
        if (!missing.isEmpty())
            throw new IllegalArgumentException("CPU(s) " + new CpuSet(missing) + " of " + this + " are not online (online: " + online() + ")");
        return this;
    }

    /** The lowest CPU number. */
    public int first() { return cpus.nextSetBit(0); }

    /** The highest CPU number. */
    public int last() { return cpus.length() - 1; }

    public int size() { return cpus.cardinality(); }

    public boolean contains(int cpu) { return cpus.get(cpu); }

    /** The CPUs as a little-endian bit mask of {@code bytes} bytes (a cpu_set_t). */
    byte[] mask(int bytes) {
        byte[] m = new byte[bytes];
        byte[] b = cpus.toByteArray();
        System.arraycopy(b, 0, m, 0, Math.min(b.length, bytes));
        return m;
    }

    static CpuSet fromMask(byte[] mask) { return new CpuSet(BitSet.valueOf(mask)); }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int lo = cpus.nextSetBit(0); lo >= 0; ) {
            int hi = cpus.nextClearBit(lo) - 1;
            if (sb.length() > 0) sb.append(',');
            sb.append(lo);
            if (hi > lo) sb.append('-').append(hi);
            lo = cpus.nextSetBit(hi + 1);
        }
        return sb.toString();
    }

    @Override public boolean equals(Object o) { return o instanceof CpuSet c && c.cpus.equals(cpus); }

    @Override public int hashCode() { return cpus.hashCode(); }
}
