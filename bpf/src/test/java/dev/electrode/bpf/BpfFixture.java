package dev.electrode.bpf;

import dev.electrode.netns.RootRequired;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** A loaded instance configured for an n-replica cluster with test addresses; the three phases of a PROG_TEST_RUN test. */
final class BpfFixture implements AutoCloseable {
    static final int XDP_ABORTED = 0, XDP_DROP = 1, XDP_PASS = 2, XDP_TX = 3;
    static final int TC_ACT_OK = 0, TC_ACT_SHOT = 2;

    final ElectrodeBpf bpf;
    final TestRun run = new TestRun();
    final int n;

    final List<ReplicaAddress> addresses = new ArrayList<>();

    BpfFixture(int n, Set<Offload> enabled) { this(n, enabled, dev.electrode.wire.VrOffloadProtocol.MESSAGES); }

    /** As {@link #BpfFixture(int, Set)}, with the programs acting on {@code protocol}'s message types. */
    BpfFixture(int n, Set<Offload> enabled, dev.electrode.offload.OffloadProtocol protocol) {
        RootRequired.assumeRoot();
        this.n = n;
        this.bpf = ElectrodeBpf.load(protocol);
        List<ReplicaAddress> addrs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            try {
                addrs.add(new ReplicaAddress((Inet4Address) InetAddress.getByAddress(Frames.ip(i)), Frames.PORT, Frames.mac(i)));
            } catch (UnknownHostException e) {
                throw new AssertionError(e);
            }
        }
        addresses.addAll(addrs);
        bpf.configure(addrs, (n - 1) / 2 + 1, enabled, Frames.PORT);
    }

    BpfFixture(int n) { this(n, EnumSet.allOf(Offload.class)); }

    /** Makes this instance replica {@code me} of view {@code view} with last op {@code lastOp}, status NORMAL. */
    BpfFixture as(int me, long view, long lastOp) {
        bpf.writeControl(new ControlState(0, me, (int) (view % n), 64, view, lastOp));
        return this;
    }

    TestRun.Result xdp(byte[] frame) { return run.run(bpf.xdpProgramFd(), frame, 1); }

    TestRun.Result tc(byte[] frame) { return run.run(bpf.tcProgramFd(), frame, 1); }

    /** Drains the ring buffer into a list of records. */
    List<Record> drain() {
        List<Record> out = new ArrayList<>();
        bpf.prepareRing().drain((view, opnum, start, ip, port, mac, body) -> {
            byte[] b = new byte[body.remaining()];
            body.get(b);
            out.add(new Record(view, opnum, start, b));
        });
        return out;
    }

    record Record(long view, long opnum, long batchStart, byte[] body) {}

    @Override
    public void close() { bpf.close(); }
}
