package dev.mlserve.functions.upload;

import dev.mlserve.scoring.bundle.Bundle;
import dev.mlserve.scoring.io.FileFormat;
import dev.mlserve.scoring.io.Manifest;
import dev.mlserve.scoring.io.RunInfo;
import java.nio.file.Path;

/** File scoring of a local file into a local result folder (scored/, rejected.jsonl, _manifest.json). */
interface InlineScoring {
    Manifest score(Bundle bundle, Path input, FileFormat format, Path output, RunInfo run);
}
