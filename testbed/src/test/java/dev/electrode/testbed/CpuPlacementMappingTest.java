package dev.electrode.testbed;

import dev.electrode.netns.cpu.CpuSet;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class CpuPlacementMappingTest {
    private static final CpuSet A = CpuSet.parse("0"), B = CpuSet.online();

    @Test
    void rolesMapHostsToCpus() {
        CpuPlacement p = new CpuPlacement(A, B, A);
        assertEquals(A, p.of(0, 3), "replica 0 leads view 0");
        assertEquals(B, p.of(1, 3));
        assertEquals(B, p.of(2, 3));
        assertEquals(A, p.of(3, 3), "host n is the client");
    }

    @Test
    void perReplicaSetsOverrideRolesForTheReplicasListed() {
        CpuPlacement p = new CpuPlacement(A, A, A).withPerReplica(List.of(B, A, B));
        assertEquals(B, p.of(0, 5));
        assertEquals(B, p.of(2, 5));
        assertEquals(A, p.of(3, 5), "beyond the list: the followers' set");
        assertEquals(A, p.of(5, 5), "the client keeps its set");
        assertTrue(p.toString().contains("replicas " + B + "/0/" + B), p.toString());
        assertThrows(IllegalArgumentException.class, () -> new CpuPlacement(A, A, A).withPerReplica(List.of(CpuSet.parse("4000"))));
    }
}
