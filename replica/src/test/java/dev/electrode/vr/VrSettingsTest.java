package dev.electrode.vr;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Each {@code with*} copy changes its own fields only, and a copy is checked like new settings. */
class VrSettingsTest {
    private static final VrSettings D = VrSettings.DEFAULT;

    /** DEFAULT's fields with the given ones replaced, built through the canonical constructor. */
    private static VrSettings expected(Integer batch, Long hb, Long resend, Long vc, Integer st, Long snap, Integer rec, Integer prep, Long cp) {
        return new VrSettings(batch != null ? batch : D.batchSize(), D.batchTimeoutMicros(), hb != null ? hb : D.heartbeatMicros(),
                resend != null ? resend : D.resendMicros(), vc != null ? vc : D.viewChangeMicros(),
                st != null ? st : D.stateTransferBytes(), D.maxBufferedPrepares(), snap != null ? snap : D.snapshotEveryOps(),
                rec != null ? rec : D.recoveryBytes(), prep != null ? prep : D.maxPrepareBytes(), cp != null ? cp : D.commitPeriodMicros());
    }

    @Test
    void eachCopyChangesOnlyItsFields() {
        assertEquals(expected(7, null, null, null, null, null, null, null, null), D.withBatchSize(7));
        assertEquals(expected(null, null, null, null, null, 123L, null, null, null), D.withSnapshotEvery(123));
        assertEquals(expected(null, null, null, null, 4096, null, null, null, null), D.withStateTransferBytes(4096));
        assertEquals(expected(null, null, null, null, null, null, 2048, null, null), D.withRecoveryBytes(2048));
        assertEquals(expected(null, 10_000L, 20_000L, 30_000L, null, null, null, null, null), D.withTimers(10_000, 20_000, 30_000));
        assertEquals(expected(null, null, null, null, null, null, null, 1400, null), D.withMaxPrepareBytes(1400));
        assertEquals(expected(null, null, null, null, null, null, null, null, 0L), D.withCommitPeriod(0));
    }

    @Test
    void aCopyIsCheckedLikeNewSettings() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> D.withTimers(50_000, 100_000, 60_000));
        assertEquals("view change timeout (60000 us) must be at least twice the heartbeat period (50000 us)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> D.withBatchSize(0));
        assertThrows(IllegalArgumentException.class, () -> D.withCommitPeriod(D.heartbeatMicros() + 1));
    }
}
