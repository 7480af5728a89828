package dev.electrode.netns.cpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class CpuSetTest {
    @Test
    void parsesAndPrintsLinuxCpuLists() {
        assertEquals("0-2,5", CpuSet.parse("0-2,5").toString());
        assertEquals("0-3", CpuSet.parse(" 0,1,2-3 ").toString());
        CpuSet s = CpuSet.parse("1,3");
        assertEquals(2, s.size());
        assertEquals(1, s.first());
        assertEquals(3, s.last());
        assertTrue(s.contains(3) && !s.contains(2));
        assertEquals(CpuSet.parse("1,3"), CpuSet.fromMask(s.mask(128)));
    }

    @Test
    void badListsNameTheBadPart() {
        for (String bad : new String[] {"", "a", "3-1", "-1", "1,,2", "0-x"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuSet.parse(bad), bad);
            assertTrue(e.getMessage().contains("CPU list"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuSet.parse("4000").requireOnline());
        assertTrue(e.getMessage().contains("4000") && e.getMessage().contains("not online"), e.getMessage());
    }

    @Test
    void onlineCpusAreTheOnesThisJvmSees() {
        assertEquals(Runtime.getRuntime().availableProcessors(), CpuSet.online().size());
    }
}
