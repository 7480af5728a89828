package dev.electrode.bpf.fault;

import dev.electrode.bpf.Btf;
import dev.electrode.netns.RootRequired;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** FaultInjector's mirror of struct fault_rule agrees with the compiled fault program's BTF. */
class FaultLayoutTest {
    @Test
    void faultRuleOffsetsMatchTheObject() {
        RootRequired.assumeRoot();
        try (FaultInjector f = FaultInjector.load()) {
            Btf.Struct s = f.btf().struct("fault_rule");
            assertEquals(FaultInjector.Layout.SIZE, s.size(), "fault_rule size");
            Map<String, Btf.Member> expected = new LinkedHashMap<>();
            expected.put("action", new Btf.Member(FaultInjector.Layout.ACTION, 4));
            expected.put("msg", new Btf.Member(FaultInjector.Layout.MSG, 4));
            expected.put("src_hosts", new Btf.Member(FaultInjector.Layout.SRC_HOSTS, 8));
            expected.put("dst_hosts", new Btf.Member(FaultInjector.Layout.DST_HOSTS, 8));
            expected.put("match_view", new Btf.Member(FaultInjector.Layout.MATCH_VIEW, 4));
            expected.put("view", new Btf.Member(FaultInjector.Layout.VIEW, 4));
            expected.put("match_opnum", new Btf.Member(FaultInjector.Layout.MATCH_OPNUM, 4));
            expected.put("opnum", new Btf.Member(FaultInjector.Layout.OPNUM, 4));
            expected.put("threshold", new Btf.Member(FaultInjector.Layout.THRESHOLD, 4));
            expected.put("reserved", new Btf.Member(44, 4));
            expected.put("rng", new Btf.Member(FaultInjector.Layout.RNG, 8));
            expected.put("matched", new Btf.Member(FaultInjector.Layout.MATCHED, 8));
            expected.put("fired", new Btf.Member(FaultInjector.Layout.FIRED, 8));
            assertEquals(expected, s.members(), "fault_rule members (name -> offset, size)");
        }
    }
}
