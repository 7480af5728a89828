package dev.electrode.bpf;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** The Java mirror (Layouts, Counter) agrees with the compiled object's BTF and with electrode.h. */
class BtfLayoutTest {
    private record Field(String name, int offset, int size) {}

    private static void assertStruct(Btf btf, String name, int size, Field... fields) {
        Btf.Struct s = btf.struct(name);
        assertEquals(size, s.size(), name + " size");
        Map<String, Btf.Member> expected = new LinkedHashMap<>();
        for (Field f : fields) expected.put(f.name(), new Btf.Member(f.offset(), f.size()));
        assertEquals(expected, s.members(), name + " members (name -> offset, size)");
    }

    @Test
    void structLayoutsMatchTheObject() {
        try (BpfFixture fx = new BpfFixture(3)) {
            Btf btf = fx.bpf.btf();
            assertStruct(btf, "electrode_config", Layouts.Config.SIZE,
                    new Field("replica_count", Layouts.Config.REPLICA_COUNT, 4), new Field("quorum_size", Layouts.Config.QUORUM_SIZE, 4),
                    new Field("enable_mask", Layouts.Config.ENABLE_MASK, 4), new Field("port", Layouts.Config.PORT, 2),
                    new Field("max_body", Layouts.Config.MAX_BODY, 2));
            assertStruct(btf, "electrode_replica", Layouts.Replica.SIZE,
                    new Field("ipv4", Layouts.Replica.IPV4, 4), new Field("port", Layouts.Replica.PORT, 2), new Field("mac", Layouts.Replica.MAC, 6));
            assertStruct(btf, "electrode_control", Layouts.Control.SIZE,
                    new Field("status", Layouts.Control.STATUS, 4), new Field("my_idx", Layouts.Control.MY_IDX, 4),
                    new Field("leader_idx", Layouts.Control.LEADER_IDX, 4), new Field("batch_size", Layouts.Control.BATCH_SIZE, 4),
                    new Field("view", Layouts.Control.VIEW, 8), new Field("last_op", Layouts.Control.LAST_OP, 8));
            assertStruct(btf, "electrode_advance", Layouts.Advance.SIZE, new Field("last_op", Layouts.Advance.LAST_OP, 8));
            assertStruct(btf, "electrode_quorum_entry", Layouts.QuorumEntry.SIZE,
                    new Field("view", Layouts.QuorumEntry.VIEW, 4), new Field("opnum", Layouts.QuorumEntry.OPNUM, 4),
                    new Field("acks", Layouts.QuorumEntry.ACKS, 4), new Field("reserved", Layouts.QuorumEntry.RESERVED, 4));
            assertStruct(btf, "electrode_prepare_record", Layouts.PrepareRecord.SIZE,
                    new Field("view", Layouts.PrepareRecord.VIEW, 8), new Field("opnum", Layouts.PrepareRecord.OPNUM, 8),
                    new Field("batch_start", Layouts.PrepareRecord.BATCH_START, 8), new Field("body_len", Layouts.PrepareRecord.BODY_LEN, 4),
                    new Field("src_ipv4", Layouts.PrepareRecord.SRC_IPV4, 4), new Field("src_mac", Layouts.PrepareRecord.SRC_MAC, 6),
                    new Field("src_port", Layouts.PrepareRecord.SRC_PORT, 2));
            assertStruct(btf, "electrode_type_name", Layouts.TypeName.SIZE,
                    new Field("len", Layouts.TypeName.LEN, 4), new Field("name", Layouts.TypeName.NAME, Layouts.TypeName.NAME_MAX));
            assertStruct(btf, "electrode_meta_slots", Layouts.MetaSlots.SIZE, new Field("epoch", Layouts.MetaSlots.EPOCH, 1),
                    new Field("index", Layouts.MetaSlots.INDEX, 1), new Field("third", Layouts.MetaSlots.THIRD, 1), new Field("pad", 3, 1));
            assertStruct(btf, "electrode_protocol", Layouts.Protocol.SIZE,
                    new Field("kinds", Layouts.Protocol.NAMES, Layouts.Protocol.APPEND_SLOTS),
                    new Field("append", Layouts.Protocol.APPEND_SLOTS, Layouts.MetaSlots.SIZE),
                    new Field("ack", Layouts.Protocol.ACK_SLOTS, Layouts.MetaSlots.SIZE));
        }
    }

    private static String header() throws IOException {
        Path h = Path.of("src/main/c/electrode.h");
        assertTrue(Files.exists(h), "run from the bpf module directory: " + h.toAbsolutePath());
        return Files.readString(h);
    }

    private static Long define(String header, String name) {
        Matcher m = Pattern.compile("#define " + name + "\\s+(\\S+)").matcher(header);
        assertTrue(m.find(), name + " not defined");
        String v = m.group(1).replaceAll("[uUlL]+$", "");
        return v.startsWith("0x") ? Long.parseLong(v.substring(2), 16) : Long.parseLong(v);
    }

    /** The value an enumerator is given explicitly in the header ({@code NAME = 8,}). */
    private static int enumValue(String header, String name) {
        Matcher m = Pattern.compile(name + " = (\\d+)").matcher(header);
        assertTrue(m.find(), name + " not given a value in an enum");
        return Integer.parseInt(m.group(1));
    }

    @Test
    void constantsAndCountersMatchTheHeader() throws IOException {
        String h = header();
        assertEquals(Layouts.MAX_REPLICAS, define(h, "ELECTRODE_MAX_REPLICAS"));
        assertEquals(Layouts.QUORUM_SLOTS, define(h, "ELECTRODE_QUORUM_SLOTS"));
        assertEquals(Layouts.MAX_BODY, define(h, "ELECTRODE_MAX_BODY"));
        assertEquals(Layouts.QUORUM_FLAG, define(h, "ELECTRODE_QUORUM_FLAG"));
        assertEquals(Layouts.CLONE_MARK, define(h, "ELECTRODE_CLONE_MARK"));
        assertEquals(Layouts.TypeName.NAME_MAX, define(h, "ELECTRODE_TYPE_NAME_MAX"));
        assertEquals(dev.electrode.offload.OffloadProtocol.TYPE_NAME_MAX, define(h, "ELECTRODE_TYPE_NAME_MAX"));
        assertEquals(dev.electrode.offload.OffloadProtocol.FAST_ACK_NAME_LEN, define(h, "ELECTRODE_FAST_ACK_NAME_LEN"));
        assertEquals(Layouts.FAST_ACK_DEFERRED, enumValue(h, "ELECTRODE_FAST_ACK_DEFERRED"));
        assertEquals(Layouts.Advance.TRIES, define(h, "ELECTRODE_ADVANCE_TRIES"));
        assertEquals(Layouts.Advance.MOVED, enumValue(h, "ELECTRODE_ADVANCE_MOVED"));
        assertEquals(Layouts.Advance.AHEAD, enumValue(h, "ELECTRODE_ADVANCE_AHEAD"));
        assertEquals(Layouts.Advance.CONTENDED, enumValue(h, "ELECTRODE_ADVANCE_CONTENDED"));
        assertEquals(Layouts.Advance.NO_MAP, enumValue(h, "ELECTRODE_ADVANCE_NO_MAP"));

        String body = h.substring(h.indexOf("enum electrode_counter {"), h.indexOf("ELECTRODE_CTR_NUM"));
        Matcher m = Pattern.compile("ELECTRODE_CTR_([A-Z_]+)").matcher(body);
        List<String> names = new ArrayList<>();
        while (m.find()) names.add(m.group(1));
        List<String> java = new ArrayList<>();
        for (Counter c : Counter.values()) java.add(c.name());
        assertEquals(names, java, "Counter must list enum electrode_counter in order");
    }
}
