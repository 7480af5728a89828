package dev.electrode.bpf;

import jnr.ffi.Pointer;

import java.util.LinkedHashMap;
import java.util.Map;

/** Reads struct layouts from an object's BTF (through libbpf's BTF API). */
public final class Btf {
    private static final int BTF_KIND_STRUCT = 4;
    private static final int BTF_TYPE_SIZE = 12, BTF_MEMBER_SIZE = 12;

    /** One struct member: byte offset and size. */
    public record Member(int offset, long size) {}

    /** A struct: its size and its members in declaration order. */
    public record Struct(String name, long size, Map<String, Member> members) {}

    private final LibBpf lib;
    private final Pointer btf;

    Btf(LibBpf lib, Pointer btf) {
        this.lib = lib;
        this.btf = btf;
    }

    /** The layout of {@code struct name}; fails if the BTF has no such struct. */
    public Struct struct(String name) {
        int id = lib.btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
        if (id < 0) throw new BpfException("struct " + name + " not in the object's BTF");
        Pointer t = lib.btf__type_by_id(btf, id);
        int info = t.getInt(4);
        int vlen = info & 0xffff;
        boolean kindFlag = (info >>> 31) != 0;
        long size = Integer.toUnsignedLong(t.getInt(8));
        Map<String, Member> members = new LinkedHashMap<>();
        for (int i = 0; i < vlen; i++) {
            long m = BTF_TYPE_SIZE + (long) i * BTF_MEMBER_SIZE;
            String memberName = lib.btf__name_by_offset(btf, t.getInt(m));
            int type = t.getInt(m + 4);
            int bitOffset = kindFlag ? t.getInt(m + 8) & 0xffffff : t.getInt(m + 8);
            if (bitOffset % 8 != 0) throw new BpfException("struct " + name + "." + memberName + " is a bitfield");
            members.put(memberName, new Member(bitOffset / 8, lib.btf__resolve_size(btf, type)));
        }
        return new Struct(name, size, members);
    }
}
