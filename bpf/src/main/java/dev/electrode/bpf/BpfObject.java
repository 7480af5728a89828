package dev.electrode.bpf;

import jnr.ffi.Pointer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** One loaded eBPF object file (its own programs and maps), opened from the classpath through libbpf. */
public final class BpfObject implements AutoCloseable {
    private final LibBpf lib = LibBpf.get();
    private final Pointer obj;
    private boolean closed;

    private BpfObject(Pointer obj) { this.obj = obj; }

    /** Extracts {@code resource} (e.g. "/bpf/fault.bpf.o") to a temporary file and loads it into the kernel. */
    public static BpfObject load(String resource) {
        Path tmp = null;
        try (InputStream in = BpfObject.class.getResourceAsStream(resource)) {
            if (in == null) throw new BpfException(resource + " is not on the classpath: build the bpf module (mvn package)");
            tmp = Files.createTempFile("electrode-", ".bpf.o");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            LibBpf lib = LibBpf.get();
            Pointer o = lib.bpf_object__open_file(tmp.toString(), null);
            if (o == null) throw new BpfException("bpf_object__open_file(" + resource + "): " + LibBpf.describe(LibBpf.runtime().getLastError()));
            int err = lib.bpf_object__load(o);
            if (err < 0) {
                lib.bpf_object__close(o);
                throw new BpfException("loading " + resource + " failed: " + LibBpf.describe(err)
                        + (err == -1 || err == -13 ? " (root or CAP_BPF+CAP_NET_ADMIN is needed)" : "")
                        + "; libbpf printed the verifier log above", -err);
            }
            return new BpfObject(o);
        } catch (IOException e) {
            throw new BpfException("cannot extract " + resource + ": " + e.getMessage());
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }

    /** libbpf's handle of program {@code name}. */
    public Pointer program(String name) {
        Pointer p = lib.bpf_object__find_program_by_name(obj, name);
        if (p == null) throw new BpfException("program " + name + " missing from the object");
        return p;
    }

    /** File descriptor of program {@code name}. */
    public int programFd(String name) {
        Pointer p = lib.bpf_object__find_program_by_name(obj, name);
        if (p == null) throw new BpfException("program " + name + " missing from the object");
        return BpfException.check(lib.bpf_program__fd(p), "bpf_program__fd(" + name + ")");
    }

    /** File descriptor of map {@code name}. */
    public int mapFd(String name) {
        return BpfException.check(lib.bpf_object__find_map_fd_by_name(obj, name), "map " + name);
    }

    /** The object's BTF. */
    public Btf btf() {
        Pointer b = lib.bpf_object__btf(obj);
        if (b == null) throw new BpfException("the object carries no BTF (compile with -g)");
        return new Btf(lib, b);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            lib.bpf_object__close(obj);
        }
    }
}
