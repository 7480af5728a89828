package dev.electrode.bpf;

import dev.electrode.offload.OffloadProtocol;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

import java.nio.charset.StandardCharsets;

/** Writes a protocol's message type names and fast meta slots into an object's "protocol" map (struct electrode_protocol). */
public final class ProtocolMap {
    private ProtocolMap() {}

    /** Writes {@code protocol} into the map with file descriptor {@code fd}. */
    public static void write(int fd, OffloadProtocol protocol) {
        LibBpf lib = LibBpf.get();
        Pointer key = Memory.allocateDirect(LibBpf.runtime(), 4, true);
        Pointer value = Memory.allocateDirect(LibBpf.runtime(), Layouts.Protocol.SIZE, true);
        String[] names = protocol.byKind();
        for (int k = 0; k < Layouts.Protocol.KINDS; k++) {
            byte[] name = names[k] == null ? new byte[0] : names[k].getBytes(StandardCharsets.US_ASCII); // length 0: no such kind
            long at = (long) k * Layouts.TypeName.SIZE;
            value.putInt(at + Layouts.TypeName.LEN, name.length);
            value.put(at + Layouts.TypeName.NAME, name, 0, name.length);
        }
        writeSlots(value, Layouts.Protocol.APPEND_SLOTS, protocol.appendSlots());
        writeSlots(value, Layouts.Protocol.ACK_SLOTS, protocol.ackSlots());
        key.putInt(0, 0);
        BpfException.check(lib.bpf_map_update_elem(fd, key, value, 0), "update protocol");
    }

    private static void writeSlots(Pointer value, int at, OffloadProtocol.MetaSlots slots) {
        value.putByte(at + Layouts.MetaSlots.EPOCH, (byte) slots.epoch());
        value.putByte(at + Layouts.MetaSlots.INDEX, (byte) slots.index());
        value.putByte(at + Layouts.MetaSlots.THIRD, (byte) slots.third());
    }
}
