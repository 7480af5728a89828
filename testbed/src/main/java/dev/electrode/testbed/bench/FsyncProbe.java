package dev.electrode.testbed.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The physical limit of durability sync: small appends each followed by a force (fdatasync)
 * on the file system the data directories are on, one at a time, for a while.
 */
final class FsyncProbe {
    /** Forces per second and their latency percentiles. */
    record Result(int forces, double perSecond, double p50Micros, double p99Micros) {
        String summary() {
            return String.format("%d forces of a 64-byte append: %.0f/s, latency p50 %.0f us, p99 %.0f us", forces, perSecond, p50Micros, p99Micros);
        }
    }

    private FsyncProbe() {}

    static Result measure(Path dir, long millis) throws IOException {
        Files.createDirectories(dir);
        Path f = dir.resolve("fsync-probe");
        long[] lat = new long[1 << 20];
        int n = 0;
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.allocate(64);
            long end = System.nanoTime() + millis * 1_000_000;
            long start = System.nanoTime();
            while (System.nanoTime() < end && n < lat.length) {
                long t0 = System.nanoTime();
                b.clear();
                ch.write(b);
                ch.force(false);
                lat[n++] = System.nanoTime() - t0;
            }
            double secs = (System.nanoTime() - start) / 1e9;
            long[] l = Arrays.copyOf(lat, n);
            Arrays.sort(l);
            return new Result(n, n / secs, l[n / 2] / 1000.0, l[Math.min(n - 1, (int) (n * 0.99))] / 1000.0);
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
