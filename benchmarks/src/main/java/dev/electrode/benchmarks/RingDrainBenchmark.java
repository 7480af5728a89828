package dev.electrode.benchmarks;

import dev.electrode.bpf.ControlState;
import dev.electrode.bpf.ElectrodeBpf;
import dev.electrode.bpf.Frames;
import dev.electrode.bpf.Offload;
import dev.electrode.bpf.PrepareRing;
import dev.electrode.bpf.ReplicaAddress;
import dev.electrode.bpf.TestRun;
import org.openjdk.jmh.annotations.*;
import org.openjdk.jmh.infra.Blackhole;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Draining fast-acked Prepares from the kernel's ring buffer into Java, per record. Before
 * each invocation the real XDP program fast-acks {@value #RECORDS} Prepares (BPF_PROG_TEST_RUN),
 * untimed; the benchmark times the drain. Needs root (it loads the eBPF object). With
 * {@code -prof gc} the allocation per op includes the untimed fill (frames, test runs).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@OperationsPerInvocation(RingDrainBenchmark.RECORDS)
public class RingDrainBenchmark {
    static final int RECORDS = 2048;
    private static final int XDP_TX = 3, FOLLOWER = 1, REPLICAS = 3;

    /** Bytes of request payload per Prepare (one request each). */
    @Param({"16", "512"})
    int opSize;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    ElectrodeBpf bpf;
    long drainAllocated, drained;
    PrepareRing ring;
    final TestRun run = new TestRun();
    long nextOp = 1;

    @Setup(Level.Trial)
    public void load() throws Exception {
        if (!"root".equals(System.getProperty("user.name")))
            throw new IllegalStateException("RingDrainBenchmark loads eBPF programs: run as root (or exclude it: -e RingDrain)");
        bpf = ElectrodeBpf.load();
        List<ReplicaAddress> replicas = new ArrayList<>();
        for (int i = 0; i < REPLICAS; i++)
            replicas.add(new ReplicaAddress((Inet4Address) InetAddress.getByAddress(Frames.ip(i)), Frames.PORT, Frames.mac(i)));
        bpf.configure(replicas, REPLICAS / 2 + 1, EnumSet.allOf(Offload.class), Frames.PORT);
        bpf.writeControl(new ControlState(0 /* NORMAL */, FOLLOWER, 0, 64, 0, 0));
        ring = bpf.prepareRing();
    }

    @Setup(Level.Invocation)
    public void fill() {
        for (int i = 0; i < RECORDS; i++, nextOp++) {
            byte[] frame = Frames.prepareFrame(FOLLOWER, Frames.prepare(0, nextOp, nextOp, opSize), false);
            int verdict = run.run(bpf.xdpProgramFd(), frame, 1).retval();
            if (verdict != XDP_TX) throw new IllegalStateException("op " + nextOp + " not fast-acked (XDP verdict " + verdict + ")");
        }
    }

    @Benchmark
    public int drain(Blackhole bh) {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        int n = ring.drain((view, opnum, start, ip, port, mac, body) -> bh.consume(body.get(body.limit() - 1)));
        drainAllocated += THREADS.getCurrentThreadAllocatedBytes() - before;
        drained += n;
        if (n != RECORDS) throw new IllegalStateException("drained " + n + " of " + RECORDS);
        return n;
    }

    /** The drain's own allocation per record ({@code -prof gc} also counts the untimed fill). */
    @TearDown(Level.Iteration)
    public void reportDrainAllocation() {
        System.out.printf(" [drain alone: %.1f B allocated per record over %d records]", (double) drainAllocated / drained, drained);
        drainAllocated = 0;
        drained = 0;
    }

    @TearDown(Level.Trial)
    public void close() {
        bpf.close();
    }
}
