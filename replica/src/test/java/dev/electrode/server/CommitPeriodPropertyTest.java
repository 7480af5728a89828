package dev.electrode.server;

import dev.electrode.vr.VrSettings;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The commit-period system property: a value is taken, a bad one is refused with the property's name. */
class CommitPeriodPropertyTest {
    @Test
    void aNumberOfMicrosecondsSetsThePeriod() {
        assertEquals(250, ReplicaServer.withCommitPeriodProperty(VrSettings.DEFAULT, " 250 ").commitPeriodMicros());
        assertEquals(0, ReplicaServer.withCommitPeriodProperty(VrSettings.DEFAULT, "0").commitPeriodMicros());
    }

    @Test
    void aValueThatIsNoNumberNamesTheProperty() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReplicaServer.withCommitPeriodProperty(VrSettings.DEFAULT, "1ms"));
        assertEquals("-Delectrode.vr.commitPeriodMicros=1ms: not a number of microseconds", e.getMessage());
    }

    @Test
    void aPeriodAboveTheHeartbeatNamesThePropertyAndTheLimit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReplicaServer.withCommitPeriodProperty(VrSettings.DEFAULT, "50001"));
        assertTrue(e.getMessage().startsWith("-Delectrode.vr.commitPeriodMicros=50001: commit period must be 0..heartbeat period (50000 us)"),
                e.getMessage());
    }
}
