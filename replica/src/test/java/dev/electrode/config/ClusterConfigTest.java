package dev.electrode.config;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ClusterConfigTest {
    @Test
    void parsesTheReferenceFormat() throws ConfigException {
        ClusterConfig c = ClusterConfig.parse("t.conf", "# three replicas\nf 1\nreplica 10.0.0.1:12345\n\nreplica 10.0.0.2:12345\nreplica 10.0.0.3:12346\n");
        assertEquals(1, c.f());
        assertEquals(3, c.size());
        assertEquals(12346, c.replica(2).getPort());
        assertEquals(1, c.indexOf(c.replica(1)));
        assertEquals(-1, c.indexOf(new java.net.InetSocketAddress("10.0.0.9", 12345)));
        assertEquals(c.replicas(), ClusterConfig.parse("again", c.toText()).replicas());
    }

    @Test
    void optionalMacAddresses() throws ConfigException {
        ClusterConfig c = ClusterConfig.parse("m.conf", "f 1\nreplica 10.0.0.1:1 02:00:00:00:00:0a\nreplica 10.0.0.2:1\nreplica 10.0.0.3:1 02:00:00:00:00:0C\n");
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0, 10}, c.mac(0));
        assertNull(c.mac(1));
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0, 12}, c.mac(2));
        ClusterConfig again = ClusterConfig.parse("again", c.toText());
        assertArrayEquals(c.mac(2), again.mac(2));
        assertEquals("bad.conf:2: MAC address must be six hex bytes like 02:00:00:00:00:01, got '02:00'",
                error("f 0\nreplica 10.0.0.1:1 02:00\n"));
        assertEquals("bad.conf:2: bad MAC address byte 'zz' in '02:00:00:00:00:zz'", error("f 0\nreplica 10.0.0.1:1 02:00:00:00:00:zz\n"));
    }

    private static String error(String text) {
        return assertThrows(ConfigException.class, () -> ClusterConfig.parse("bad.conf", text)).getMessage();
    }

    @Test
    void errorsNameTheFileAndLine() {
        assertEquals("bad.conf:2: port must be a number, got 'x'", error("f 1\nreplica 10.0.0.1:x\n"));
        assertEquals("bad.conf:3: unknown directive 'replcia' (expected 'f' or 'replica')", error("f 1\nreplica 10.0.0.1:1\nreplcia 10.0.0.2:1\n"));
        assertEquals("bad.conf:3: replica 10.0.0.1:1 already listed on line 2", error("f 1\nreplica 10.0.0.1:1\nreplica 10.0.0.1:1\n"));
        assertEquals("bad.conf:1: f 1 needs 3 replica lines, found 2", error("f 1\nreplica 10.0.0.1:1\nreplica 10.0.0.2:1\n"));
        assertEquals("bad.conf: missing 'f <number>' line", error("replica 10.0.0.1:1\n"));
        assertEquals("bad.conf:1: f must be a number, got 'one'", error("f one\n"));
        assertEquals("bad.conf:2: port 70000 out of range 1..65535", error("f 0\nreplica 10.0.0.1:70000\n"));
        assertEquals("bad.conf:2: expected <host>:<port>, got '10.0.0.1'", error("f 0\nreplica 10.0.0.1\n"));
        assertEquals("bad.conf:2: 'f' given twice (first on line 1)", error("f 0\nf 1\n"));
    }
}
