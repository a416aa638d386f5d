package dev.mlserve.functions.config;

import dev.mlserve.functions.ports.Jobs;
import dev.mlserve.functions.ports.ObjectStore;

/**
 * The adapters behind the object-store and jobs ports, as {@link FunctionConfig#backend()} chooses
 * them: the one seam through which a handler's public no-arg constructor gets them.
 *
 * <p>{@link #fromConfig} is where the adapters are wired: "aws" = S3 object store + jobs over the
 * EMR Serverless launcher; "local" = a directory laid out like the bucket
 * ({@link FunctionConfig#localStore()}) + jobs over the in-process launcher. Until that is done it
 * fails, so a Lambda init fails loudly instead of a request failing later.
 */
public interface Backends {

    ObjectStore objectStore();

    Jobs jobs();

    static Backends of(ObjectStore objectStore, Jobs jobs) {
        return new Backends() {
            @Override
            public ObjectStore objectStore() {
                return objectStore;
            }

            @Override
            public Jobs jobs() {
                return jobs;
            }
        };
    }

    /** The adapters for the configured backend. */
    static Backends fromConfig(FunctionConfig config) {
        // Integrator: return Backends.of(new S3ObjectStore(...) | new LocalObjectStore(config.localStore()),
        //                                 <Jobs implementation over EmrServerlessLauncher | LocalBatchLauncher>).
        throw new IllegalStateException("no object store and jobs adapters are wired for backend '"
                + config.backend() + "' yet: see dev.mlserve.functions.config.Backends.fromConfig");
    }
}
