#!/usr/bin/env bash
# Batch scoring benchmark (not a test). Builds emr-jobs.jar, then runs BatchBench on the job jar and
# Spark's jars only (target/spark-classpath.txt, the provided-scope dependencies), as EMR would.
#   emr-jobs/bench.sh [--rows 1000000] [--repeat 1] [--dir /tmp/mlserve-bench]
# BENCH_NO_BUILD=1 reuses the last build; BENCH_HEAP sets the heap (default 3g); BENCH_JAVA_OPTS adds JVM
# flags, e.g. -Dspark.mlserve.output.targetFileBytes=32m (spark.* system properties reach SparkConf).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${BENCH_NO_BUILD:-}" ]]; then
  mvn -B -q -pl emr-jobs -am -DskipTests package >&2
fi
opens=$(tr -s ' \n' '\n\n' < scoring/target/classes/mlserve/add-opens.txt | sed '/^$/d; s/.*/--add-opens=&=ALL-UNNAMED/')
# shellcheck disable=SC2086
exec java -Xmx"${BENCH_HEAP:-3g}" $opens ${BENCH_JAVA_OPTS:-} \
  -Dlog4j2.configurationFile="$PWD/emr-jobs/bench-log4j2.properties" \
  -cp "emr-jobs/target/emr-jobs.jar:$(cat emr-jobs/target/spark-classpath.txt)" \
  dev.mlserve.jobs.score.BatchBench "$@"
