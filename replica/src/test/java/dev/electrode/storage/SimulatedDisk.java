package dev.electrode.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

/**
 * A disk for crash tests: files keep what was forced; what was written since is lost at a
 * {@link #crash}, except that the last unforced write may survive in part (a torn write).
 * Counts write points so a test can crash at each one in turn.
 */
public final class SimulatedDisk implements JournalDirectory {
    private static final class SimFile {
        byte[] durable = new byte[0];
        byte[] contents = new byte[0];   // what a reader sees now: durable + unforced writes
        int lastWriteStart = -1;         // offset of the newest unforced write, -1 if none
        boolean durableEntry;            // the directory entry itself survives a crash
    }

    private final TreeMap<String, SimFile> files = new TreeMap<>();
    private long writes;
    private long crashAtWrite = -1;
    private long spaceLeft = Long.MAX_VALUE;

    /** Thrown at the chosen write point: the process "dies" there. */
    public static final class CrashPoint extends RuntimeException {
        CrashPoint() { super("simulated crash"); }
    }

    /** Makes the {@code n}-th write from now (1 = the next) fail with {@link CrashPoint}, before any of it lands. */
    public void crashAtWrite(long n) { crashAtWrite = writes + n; }

    /** Writes, truncates, forces and directory syncs so far. */
    public long writePoints() { return writes; }

    /** Limits the bytes that can still be written (for ENOSPC tests). */
    public void spaceLeft(long bytes) { spaceLeft = bytes; }

    private void point() {
        writes++;
        if (writes == crashAtWrite) throw new CrashPoint();
    }

    /**
     * Power loss: every file falls back to what was forced; of the newest unforced write, a
     * random prefix (possibly all or nothing) survives if {@code tear}; files never made
     * durable in the directory vanish.
     */
    public void crash(Random rnd, boolean tear) {
        crashAtWrite = -1;
        files.values().removeIf(f -> !f.durableEntry);
        for (SimFile f : files.values()) {
            byte[] kept = f.durable;
            if (tear && f.lastWriteStart >= f.durable.length && f.lastWriteStart < f.contents.length) {
                int torn = rnd.nextInt(f.contents.length - f.lastWriteStart + 1);
                kept = Arrays.copyOf(f.contents, f.lastWriteStart + torn);
                if (f.lastWriteStart > f.durable.length) kept = f.durable; // earlier unforced writes are lost: no partial tail
            }
            f.contents = kept.clone();
            f.durable = kept.clone();
            f.lastWriteStart = -1;
        }
    }

    /** Flips one bit of file {@code name} at {@code offset}, durably (a disk error). */
    public void flipBit(String name, int offset, int bit) {
        SimFile f = files.get(name);
        f.contents[offset] ^= (byte) (1 << bit);
        if (offset < f.durable.length) f.durable[offset] ^= (byte) (1 << bit);
    }

    /** The bytes of {@code name} as a reader sees them. */
    public byte[] contents(String name) { return files.get(name).contents.clone(); }

    /** Removes {@code name} as if the file were lost. */
    public void lose(String name) { files.remove(name); }

    @Override
    public List<String> list() { return new ArrayList<>(files.keySet()); }

    @Override
    public JournalFile open(String name, boolean create) throws IOException {
        SimFile existing = files.get(name);
        if (existing == null) {
            if (!create) throw new java.nio.file.NoSuchFileException(name);
            existing = new SimFile();
            files.put(name, existing);
        }
        SimFile f = existing;
        return new JournalFile() {
            @Override public long size() { return f.contents.length; }

            @Override public void append(ByteBuffer data) throws IOException {
                point();
                int n = data.remaining();
                if (n > spaceLeft) throw new IOException("No space left on device");
                spaceLeft -= n;
                int start = f.contents.length;
                f.contents = Arrays.copyOf(f.contents, start + n);
                data.get(f.contents, start, n);
                f.lastWriteStart = start;
            }

            @Override public int read(long position, ByteBuffer dst) {
                if (position >= f.contents.length) return -1;
                int n = (int) Math.min(dst.remaining(), f.contents.length - position);
                dst.put(f.contents, (int) position, n);
                return n;
            }

            @Override public void truncate(long size) {
                point();
                if (size < f.contents.length) f.contents = Arrays.copyOf(f.contents, (int) size);
                if (f.lastWriteStart >= f.contents.length) f.lastWriteStart = -1;
            }

            @Override public void force() {
                point();
                f.durable = f.contents.clone();
                f.lastWriteStart = -1;
            }

            @Override public void close() {}
        };
    }

    @Override
    public void rename(String from, String to) throws IOException {
        point();
        SimFile f = files.remove(from);
        if (f == null) throw new java.nio.file.NoSuchFileException(from);
        f.durableEntry = false; // the new name survives a crash only after a directory sync
        files.put(to, f);
    }

    @Override
    public void delete(String name) {
        point();
        files.remove(name);
    }

    @Override
    public void sync() {
        point();
        for (SimFile f : files.values()) f.durableEntry = true;
    }

    @Override
    public String describe() { return "simdisk"; }
}
