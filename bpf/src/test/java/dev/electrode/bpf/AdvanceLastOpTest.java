package dev.electrode.bpf;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static dev.electrode.bpf.BpfFixture.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * User space moves the fast path's last op forward (its slow path appended) with one atomic
 * step in the kernel, never back over what XDP fast-acknowledged meanwhile.
 */
class AdvanceLastOpTest {
    private BpfFixture fx;

    @BeforeEach
    void setUp() { fx = new BpfFixture(3).as(1, 5, 10); } // replica 1, view 5 (leader 2), lastOp 10

    @AfterEach
    void tearDown() { if (fx != null) fx.close(); }

    @Test
    void movesLastOpForwardAndLeavesTheRestOfTheControlState() {
        ControlState before = fx.bpf.readControl();
        assertTrue(fx.bpf.advanceLastOp(15));
        ControlState after = fx.bpf.readControl();
        assertEquals(new ControlState(before.status(), before.myIdx(), before.leaderIdx(), before.batchSize(), before.view(), 15), after);
    }

    @Test
    void neverMovesItBack() {
        assertFalse(fx.bpf.advanceLastOp(8));
        assertFalse(fx.bpf.advanceLastOp(10));
        assertEquals(10, fx.bpf.readControl().lastOp());
    }

    @Test
    void thenTheFastPathTakesTheNextOp() {
        fx.bpf.advanceLastOp(11);
        assertEquals(XDP_TX, fx.xdp(Frames.prepareFrame(2, 1, Frames.prepare(5, 12, 12, 10), false)).retval());
        assertEquals(12, fx.bpf.readControl().lastOp());
        assertEquals(0, fx.bpf.counter(Counter.PASS_GAP));
    }

    /**
     * XDP fast-acks ops one by one on one thread while another, as a slow path a little ahead,
     * advances to the op after the last one it saw fast-acked. A read-then-write of the map would
     * sometimes write a value XDP had already passed, and XDP would then see a gap. Where both
     * claim the same op, one of them wins it (XDP passes the frame up, counted as a race).
     */
    @Test
    void racingTheFastPathNeverUndoesItsAdvance() throws Exception {
        int ops = 20_000;
        AtomicLong fastAcked = new AtomicLong(10);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread slowPath = new Thread(() -> {
            try {
                while (fastAcked.get() < 10 + ops) fx.bpf.advanceLastOp(fastAcked.get() + 1);
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "slow-path");
        TestRun xdpRun = new TestRun();
        byte[][] frames = new byte[ops][];
        for (int i = 0; i < ops; i++) frames[i] = Frames.prepareFrame(2, 1, Frames.prepare(5, 11 + i, 11 + i, 8), false);
        slowPath.start();
        int passed = 0;
        try {
            for (int i = 0; i < ops; i++) {
                int verdict = xdpRun.run(fx.bpf.xdpProgramFd(), frames[i], 1).retval();
                long op = 11 + i;
                // XDP_PASS only when the slow path claimed this very op first (PASS_RACE): user space has it.
                if (verdict == XDP_PASS) passed++;
                else assertEquals(XDP_TX, verdict, () -> "op " + op);
                fastAcked.set(op);
            }
        } finally {
            fastAcked.set(Long.MAX_VALUE - 1);
            slowPath.join();
        }
        assertEquals(passed, fx.bpf.counter(Counter.PASS_RACE), "every op XDP passed up lost a race for that op");
        assertNull(failure.get());
        assertEquals(0, fx.bpf.counter(Counter.PASS_GAP));
        assertEquals(10 + ops, fx.bpf.readControl().lastOp());
    }
}
