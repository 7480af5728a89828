package dev.electrode.bpf;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.types.size_t;

/**
 * The libbpf 1.x calls this project uses, bound with jnr-ffi to the system's libbpf.so.1.
 * int functions return -errno; pointer functions return NULL and set errno.
 */
public interface LibBpf {
    @SaveError Pointer bpf_object__open_file(String path, Pointer opts);

    int bpf_object__load(Pointer obj);

    void bpf_object__close(Pointer obj);

    Pointer bpf_object__find_program_by_name(Pointer obj, String name);

    int bpf_program__fd(Pointer prog);

    int bpf_object__find_map_fd_by_name(Pointer obj, String name);

    int bpf_xdp_attach(int ifindex, int progFd, int flags, Pointer opts);

    /** XDP through a BPF link: detached by the kernel when the last reference (this process) goes. */
    @SaveError Pointer bpf_program__attach_xdp(Pointer prog, int ifindex);

    int bpf_link__destroy(Pointer link);

    int bpf_xdp_detach(int ifindex, int flags, Pointer opts);

    int bpf_xdp_query_id(int ifindex, int flags, IntByReference progId);

    int bpf_tc_hook_create(Pointer hook);

    int bpf_tc_hook_destroy(Pointer hook);

    int bpf_tc_attach(Pointer hook, Pointer opts);

    int bpf_tc_detach(Pointer hook, Pointer opts);

    int bpf_tc_query(Pointer hook, Pointer opts);

    int bpf_map_update_elem(int fd, Pointer key, Pointer value, long flags);

    int bpf_map_lookup_elem(int fd, Pointer key, Pointer value);

    /** Called by libbpf for each ring buffer record; return 0 to go on. */
    interface RingBufferSample {
        @Delegate int sample(Pointer ctx, Pointer data, @size_t long size);
    }

    @SaveError Pointer ring_buffer__new(int mapFd, RingBufferSample sampleCb, Pointer ctx, Pointer opts);

    int ring_buffer__consume(Pointer rb);

    void ring_buffer__free(Pointer rb);

    int bpf_prog_test_run_opts(int progFd, Pointer opts);

    int bpf_obj_get_info_by_fd(int fd, Pointer info, IntByReference infoLen);

    Pointer bpf_object__btf(Pointer obj);

    int btf__find_by_name_kind(Pointer btf, String name, int kind);

    Pointer btf__type_by_id(Pointer btf, int id);

    String btf__name_by_offset(Pointer btf, int offset);

    int libbpf_num_possible_cpus();

    long btf__resolve_size(Pointer btf, int typeId);

    /** The binding, loaded once. */
    final class Holder {
        private Holder() {}

        static final LibBpf LIB;
        static final Runtime RUNTIME;
        static {
            try {
                LIB = LibraryLoader.create(LibBpf.class).load("libbpf.so.1");
            } catch (LinkageError e) {
                throw new BpfException("cannot load libbpf.so.1: install libbpf1 (ci/setup-host.sh does): " + e.getMessage());
            }
            RUNTIME = Runtime.getRuntime(LIB);
        }
    }

    /** The process-wide binding. */
    static LibBpf get() { return Holder.LIB; }

    /** The jnr runtime of the binding (memory allocation, errno). */
    static Runtime runtime() { return Holder.RUNTIME; }

    /** "message (errno N)" for a negative libbpf return value or a saved errno. */
    static String describe(int err) {
        int e = Math.abs(err);
        return dev.electrode.netns.LibC.INSTANCE.strerror(e) + " (errno " + e + ")";
    }
}
