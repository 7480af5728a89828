package dev.electrode.testbed;

import dev.electrode.netns.Names;
import dev.electrode.netns.NetNamespace;
import dev.electrode.netns.RootRequired;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The check that fails a test whose teardown leaves a namespace behind. */
class LeakCheckTest {
    @Test
    void aLeftoverNamespaceFailsTheCheck() {
        RootRequired.assumeRoot();
        NetNamespace ns = NetNamespace.create(Names.namespace("leak"));
        try {
            AssertionError e = assertThrows(AssertionError.class, () -> LeakCheck.assertGone(List.of(ns.name())));
            assertTrue(e.getMessage().contains(ns.name()), e.getMessage());
        } finally {
            ns.close();
        }
        LeakCheck.assertGone(List.of(ns.name()));
    }
}
