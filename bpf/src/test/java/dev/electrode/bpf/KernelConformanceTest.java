package dev.electrode.bpf;

import dev.electrode.sim.KernelRules;
import dev.electrode.vr.Status;
import dev.electrode.wire.proto.PrepareMessage;
import dev.electrode.wire.proto.PrepareOKMessage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.electrode.bpf.BpfFixture.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The simulator's model of the programs ({@code sim.KernelRules}, which {@code SimKernel} acts on)
 * against the real programs under BPF_PROG_TEST_RUN: random control states (status, replica,
 * view, lastOp, deferred acks) and random frames (PREPAREs of the previous, current and next view
 * around lastOp, the leader's outgoing PREPAREs through TC, ACKs of any replica), the same to both.
 * Every verdict, ring insertion, MyPrepareOK opnum, passed acknowledging set and lastOp must agree.
 */
class KernelConformanceTest {
    private static final Status[] STATUSES = {Status.NORMAL, Status.NORMAL, Status.NORMAL, Status.VIEW_CHANGE, Status.RECOVERING};

    @ParameterizedTest(name = "n={0} deferred={1}")
    @CsvSource({"3, false", "5, false", "3, true", "5, true"})
    void theModelDecidesAsTheProgramsDo(int n, boolean deferred) {
        Random rnd = new Random(n * 31L + (deferred ? 7 : 0));
        int steps = 0, tx = 0, queued = 0, passedSets = 0, drops = 0;
        for (int me = 0; me < n; me++) {
            try (BpfFixture fx = new BpfFixture(n)) { // a fresh program (and quorum map) per replica, as the model
                fx.bpf.setDeferredAcks(deferred);
                KernelRules model = new KernelRules(me, n);
                model.setDeferred(deferred);
                for (int episode = 0; episode < 25; episode++) {
                    Status status = STATUSES[rnd.nextInt(STATUSES.length)];
                    long view = rnd.nextInt(6);
                    int leader = (int) (view % n);
                    long lastOp = 10 + rnd.nextInt(20);
                    fx.bpf.writeControl(new ControlState(status.code(), me, leader, 64, view, lastOp));
                    model.control(status, view, leader, lastOp);
                    List<long[]> sent = new ArrayList<>(); // (view, opnum) of PREPAREs the leader sent
                    for (int s = 0; s < 30; s++, steps++) {
                        String what;
                        KernelRules.Decision d;
                        TestRun.Result r;
                        int kind = rnd.nextInt(3);
                        if (kind == 0 && leader != me) { // a PREPARE from the current leader, of some view, around lastOp
                            long v = Math.max(0, view - 1 + rnd.nextInt(3));
                            long start = Math.max(1, model.lastOp() - 3 + rnd.nextInt(7));
                            PrepareMessage p = Frames.prepare(v, start, start + rnd.nextInt(4), 8);
                            what = "PREPARE v" + v + " " + p.getBatchstart() + ".." + p.getOpnum();
                            d = model.prepare(p);
                            r = fx.xdp(Frames.prepareFrame(leader, me, p, false));
                            List<BpfFixture.Record> recs = fx.drain();
                            assertEquals(d.queued() ? 1 : 0, recs.size(), at(me, status, view, what) + ": ring insertion");
                            if (d.queued()) queued++;
                        } else if (kind == 1 && leader == me) { // the leader's PREPARE leaving through TC
                            long op = 10 + rnd.nextInt(30);
                            PrepareMessage p = Frames.prepare(view, op, op, 8);
                            sent.add(new long[] {view, op});
                            model.egress(p);
                            int to = (me + 1) % n;
                            assertEquals(TC_ACT_OK, fx.tc(Frames.prepareFrame(me, to, p, false)).retval(), "TC passes the leader's PREPARE");
                            continue;
                        } else { // an ACK from another replica, mostly for a PREPARE the leader sent
                            int from = (me + 1 + rnd.nextInt(n - 1)) % n;
                            long[] tag = !sent.isEmpty() && rnd.nextInt(4) > 0 ? sent.get(rnd.nextInt(sent.size()))
                                    : new long[] {Math.max(0, view - 1 + rnd.nextInt(3)), 10 + rnd.nextInt(30)};
                            PrepareOKMessage ok = PrepareOKMessage.newBuilder().setView(tag[0]).setOpnum(tag[1]).setReplicaIdx(from).build();
                            what = "ACK from " + from + " v" + tag[0] + " op " + tag[1];
                            d = model.ack(ok, false);
                            r = fx.xdp(Frames.ackFrame(from, me, tag[0], tag[1], rnd.nextBoolean()));
                            if (r.retval() == XDP_PASS) {
                                int c = metaWord(r.frame(), 2);
                                long set = (c & Layouts.QUORUM_FLAG) != 0 ? c & ~Layouts.QUORUM_FLAG : -1;
                                assertEquals(d.passedSet(), set, at(me, status, view, what) + ": the acknowledging set passed up");
                                if (set >= 0) passedSets++;
                            }
                        }
                        int expected = switch (d.verdict()) {
                            case PASS -> XDP_PASS;
                            case DROP -> XDP_DROP;
                            case TX -> XDP_TX;
                        };
                        assertEquals(expected, r.retval(), at(me, status, view, what) + ": verdict (model " + d + ")");
                        if (d.verdict() == KernelRules.Verdict.TX) {
                            assertEquals(d.ackOpnum(), metaWord(r.frame(), 1), at(me, status, view, what) + ": MyPrepareOK opnum");
                            tx++;
                        }
                        if (d.verdict() == KernelRules.Verdict.DROP) drops++;
                        assertEquals(model.lastOp(), fx.bpf.readControl().lastOp(), at(me, status, view, what) + ": lastOp");
                    }
                }
            }
        }
        System.out.printf("n=%d deferred=%s: %d steps agreed (%d MyPrepareOKs, %d queued, %d drops, %d sets passed up)%n",
                n, deferred, steps, tx, queued, drops, passedSets);
        assertTrue(queued > 20 && drops > 20 && passedSets > 5 && (deferred || tx > 20), "every kind of decision was compared");
    }

    private static String at(int me, Status status, long view, String what) {
        return "replica " + me + " " + status + " view " + view + ", " + what;
    }

    /** Word {@code i} (0: a, 1: b, 2: c) of a frame's fast meta. */
    static int metaWord(byte[] frame, int i) {
        int ipLen = (frame[Frames.ETH] & 0x0f) * 4;
        int payload = Frames.ETH + ipLen + Frames.UDP;
        int typeLen = (int) ByteBuffer.wrap(frame, payload + 4, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return ByteBuffer.wrap(frame, payload + 12 + typeLen + 4 * i, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }
}
