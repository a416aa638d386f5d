package dev.mlserve.local.sam;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * template.yaml against what the build produces and the rules the project sets: handlers exist in the
 * deployed package, versions agree with the pom, and IAM is least-privilege. Runs after
 * {@code package} (failsafe) because it reads functions/target/functions.zip.
 */
class TemplateIT {
    private static final Path TEMPLATE = Path.of("../template.yaml");
    private static final Path PACKAGE = Path.of("../functions/target/functions.zip");
    /** Spark of each EMR release this project has targeted (AWS EMR release notes). */
    private static final Map<String, String> EMR_SPARK = Map.of("emr-7.11.0", "3.5.6");

    private static Map<String, Object> template() throws IOException {
        return CfnYaml.load(TEMPLATE);
    }

    @Test
    void handlers_namedInTemplate_areClassesWithTheirMethodInTheFunctionPackage() throws Exception {
        SamTemplate sam = SamTemplate.load(TEMPLATE);
        assertThat(sam.functions()).extracting(SamFunction::logicalId)
                .containsExactlyInAnyOrder("PredictFunction", "UploadFunction", "JobEventsFunction");
        try (ZipFile zip = new ZipFile(PACKAGE.toFile())) {
            for (SamFunction f : sam.functions()) {
                String entry = f.handlerClass().replace('.', '/') + ".class";
                assertThat(zip.getEntry(entry)).as("%s in %s", entry, PACKAGE).isNotNull();
                assertThat(Arrays.stream(Class.forName(f.handlerClass()).getMethods())
                        .anyMatch(m -> m.getName().equals(f.handlerMethod()))).as(f.handler()).isTrue();
            }
            assertThat(zip.stream().anyMatch(e -> e.getName().startsWith("lib/rocksdbjni"))).isFalse();
            long unzipped = zip.stream().mapToLong(java.util.zip.ZipEntry::getSize).sum();
            assertThat(unzipped).as("Lambda's unzipped limit").isLessThan(250L * 1024 * 1024);
        }
    }

    @Test
    void uploadInlineMaxBytes_isBoundedAsTheFunctionsConfigurationBoundsIt() throws IOException {
        Map<String, Object> parameter = map(path(template(), "Parameters", "UploadInlineMaxBytes"));

        assertThat(((Number) parameter.get("MaxValue")).longValue())
                .isEqualTo(dev.mlserve.functions.config.FunctionConfig.MAX_UPLOAD_INLINE_BYTES);
        assertThat(((Number) parameter.get("Default")).longValue()).isLessThanOrEqualTo(
                dev.mlserve.functions.config.FunctionConfig.MAX_UPLOAD_INLINE_BYTES);
    }

    @Test
    void emrReleaseLabel_default_shipsTheSparkThisBuildBundles() throws IOException {
        String label = (String) path(template(), "Parameters", "EmrReleaseLabel", "Default");

        assertThat(EMR_SPARK).containsKey(label);
        assertThat(EMR_SPARK.get(label)).isEqualTo(org.apache.spark.package$.MODULE$.SPARK_VERSION());
    }

    @Test
    void javaToolOptions_areThePomsAddOpensList() throws IOException {
        String options = (String) path(template(), "Globals", "Function", "Environment", "Variables",
                "JAVA_TOOL_OPTIONS");
        String list;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("mlserve/add-opens.txt")) {
            list = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }

        assertThat(options.strip().split("\\s+")).containsExactly(Arrays.stream(list.split("\\s+"))
                .map(p -> "--add-opens=" + p + "=ALL-UNNAMED").toArray(String[]::new));
    }

    @Test
    void functions_runOnJava21WithSnapStartOnPublishedVersions() throws IOException {
        Map<String, Object> globals = map(path(template(), "Globals", "Function"));

        assertThat(globals.get("Runtime")).isEqualTo("java21");
        assertThat(path(globals, "SnapStart", "ApplyOn")).isEqualTo("PublishedVersions");
        assertThat((Integer) path(globals, "EphemeralStorage", "Size")).as("SnapStart's limit").isLessThanOrEqualTo(512);
        Map<String, Object> resources = map(template().get("Resources"));
        for (Map.Entry<String, Object> r : resources.entrySet()) {
            Object size = map(r.getValue()).get("Properties") instanceof Map<?, ?> p && p.get("EphemeralStorage")
                    instanceof Map<?, ?> e ? e.get("Size") : null;
            assertThat(size == null || (Integer) size <= 512).as("%s ephemeral storage %s", r.getKey(), size).isTrue();
        }
    }

    @Test
    void iam_noAllowStatementGrantsEveryActionOfAService() throws IOException {
        for (Map<String, Object> s : allowStatements(template())) {
            assertThat(actions(s)).as(s.toString()).noneMatch(a -> a.equals("*") || a.endsWith(":*"));
        }
    }

    @Test
    void iam_passRole_onlyTheJobRole_onlyToEmrServerless() throws IOException {
        List<Map<String, Object>> passRole = allowStatements(template()).stream()
                .filter(s -> actions(s).contains("iam:PassRole")).toList();

        assertThat(passRole).hasSize(3);
        for (Map<String, Object> s : passRole) {
            assertThat(actions(s)).containsExactly("iam:PassRole");
            assertThat(s.get("Resource")).isEqualTo(Map.of("Fn::GetAtt", List.of("EmrJobRole", "Arn")));
            assertThat(path(s, "Condition", "StringEquals", "iam:PassedToService"))
                    .isEqualTo("emr-serverless.amazonaws.com");
        }
    }

    @Test
    void iam_emrServerlessActions_onlyOnThisApplicationAndItsJobRuns() throws IOException {
        for (Map<String, Object> s : allowStatements(template())) {
            if (actions(s).stream().anyMatch(a -> a.startsWith("emr-serverless:"))) {
                assertThat(resources(s)).as(s.toString()).allMatch(r -> r.contains("EmrApplication"));
            }
        }
    }

    @Test
    void iam_s3ObjectActions_onlyOnThePrefixesEachPieceNeeds() throws IOException {
        Map<String, Object> resources = map(template().get("Resources"));
        assertS3Prefixes(resources, "PredictFunction", "s3:GetObject", "models", "jobs", "scored", "incoming");
        assertS3Prefixes(resources, "PredictFunction", "s3:PutObject", "staging", "jobs", "scored");
        assertS3Prefixes(resources, "PredictFunction", "s3:DeleteObject", "scored", "staging");
        assertS3Prefixes(resources, "UploadFunction", "s3:GetObject", "incoming", "models", "jobs", "scored",
                "staging");
        assertS3Prefixes(resources, "UploadFunction", "s3:PutObject", "scored", "jobs", "staging");
        assertS3Prefixes(resources, "JobEventsFunction", "s3:GetObject", "scored", "jobs", "staging",
                "incoming");
        assertS3Prefixes(resources, "JobEventsFunction", "s3:PutObject", "scored", "jobs");
        assertS3Prefixes(resources, "JobEventsFunction", "s3:DeleteObject", "scored", "jobs", "staging");
        assertS3Prefixes(resources, "EmrJobRole", "s3:PutObject", "scored", "logs/emr");
        assertS3Prefixes(resources, "EmrJobRole", "s3:GetObject", "staging", "models", "scored",
                "${EmrJobJarKey}");
    }

    @Test
    void iam_everyListBucket_isLimitedToPrefixes_neverTheWholeBucket() throws IOException {
        List<Map<String, Object>> listBucket = allowStatements(template()).stream()
                .filter(s -> actions(s).contains("s3:ListBucket")).toList();

        assertThat(listBucket).as("PredictFunction, UploadFunction, JobEventsFunction, EmrJobRole").hasSize(4);
        for (Map<String, Object> s : listBucket) {
            List<String> prefixes = listPrefixes(s);
            assertThat(prefixes).as(s.toString()).isNotEmpty()
                    .noneMatch(p -> p.isEmpty() || p.startsWith("*") || p.startsWith("?"));
        }
    }

    @Test
    void emrJobRole_listsOnlyItsInputModelsResultsAndLogs() throws IOException {
        Map<String, Object> role = map(path(template(), "Resources", "EmrJobRole"));
        List<Map<String, Object>> listBucket = allowStatements(role).stream()
                .filter(s -> actions(s).contains("s3:ListBucket")).toList();

        assertThat(listBucket).hasSize(1);
        assertThat(listPrefixes(listBucket.get(0))).containsExactlyInAnyOrder("staging", "staging/*",
                "${ModelPrefix}*", "scored", "scored/*", "logs/emr/*");
    }

    /** The s3:prefix values a statement's condition allows (Fn::Sub templates as their text). */
    private static List<String> listPrefixes(Map<String, Object> statement) {
        Object condition = statement.get("Condition");
        if (!(condition instanceof Map<?, ?> c) || !(c.get("StringLike") instanceof Map<?, ?> like)
                || like.get("s3:prefix") == null) {
            return List.of();
        }
        Object values = like.get("s3:prefix");
        List<?> list = values instanceof List<?> l ? l : List.of(values);
        return list.stream().map(v -> v instanceof Map<?, ?> m && m.get("Fn::Sub") != null
                ? String.valueOf(m.get("Fn::Sub")) : String.valueOf(v)).toList();
    }

    @Test
    void uploadFunction_isTriggeredOnlyUnderIncoming() throws IOException {
        SamFunction upload = SamTemplate.load(TEMPLATE).function("UploadFunction");

        assertThat(upload.s3Triggers()).isNotEmpty()
                .allSatisfy(t -> assertThat(t.prefix()).isEqualTo("incoming/"));
    }

    @Test
    void uploadFunction_eventsFailingEveryRetrySendToAQueueItMayWriteTo() throws IOException {
        assertFailedEventsGoTo(map(template().get("Resources")), "UploadFunction", "UploadFailuresQueue");
    }

    @Test
    void jobEventsFunction_ruleMatchesOnlyTheEndOfThisApplicationsJobRuns() throws IOException {
        Map<String, Object> events = map(path(template(), "Resources", "JobEventsFunction", "Properties", "Events"));

        assertThat(events).hasSize(1);
        Map<String, Object> rule = map(events.values().iterator().next());
        assertThat(rule.get("Type")).isEqualTo("EventBridgeRule");
        Map<String, Object> pattern = map(path(rule, "Properties", "Pattern"));
        assertThat(strings(pattern.get("source"))).containsExactly("aws.emr-serverless");
        assertThat(strings(pattern.get("detail-type"))).containsExactly("EMR Serverless Job Run State Change");
        assertThat(strings(path(pattern, "detail", "state"))).containsExactlyInAnyOrder("SUCCESS", "FAILED",
                "CANCELLED");
        assertThat(path(pattern, "detail", "applicationId"))
                .isEqualTo(List.of(Map.of("Fn::GetAtt", List.of("EmrApplication", "ApplicationId"))));
    }

    @Test
    void jobEventsFunction_eventsFailingEveryRetrySendToAQueueItMayWriteTo() throws IOException {
        assertFailedEventsGoTo(map(template().get("Resources")), "JobEventsFunction", "JobEventFailuresQueue");
    }

    @Test
    void jobEventsFunction_neverRunsSpark_soItIsSmallAndFitsSnapStart() throws IOException {
        SamFunction jobEvents = SamTemplate.load(TEMPLATE).function("JobEventsFunction");

        assertThat(jobEvents.handler()).isEqualTo("dev.mlserve.functions.jobs.JobEventsHandler::handleRequest");
        assertThat(jobEvents.memoryMb()).isLessThanOrEqualTo(1024);
        assertThat(jobEvents.environment()).containsKeys("MLSERVE_BACKEND", "MLSERVE_BUCKET");
        assertThat(jobEvents.unresolved()).contains("MLSERVE_EMR_APPLICATION_ID");
        assertThat(path(template(), "Resources", "JobEventsFunction", "Properties", "EphemeralStorage", "Size"))
                .as("SnapStart allows at most 512 MB of ephemeral storage").isEqualTo(512);
    }

    @Test
    void eventFunctions_reserveConcurrencyFromAParameter_soAFloodCannotStarveTheApi() throws IOException {
        Map<String, Object> template = template();
        for (Map.Entry<String, String> f : Map.of("UploadFunction", "UploadConcurrency",
                "JobEventsFunction", "JobEventsConcurrency").entrySet()) {
            Map<String, Object> properties = map(path(template, "Resources", f.getKey(), "Properties"));
            Map<String, Object> parameter = map(path(template, "Parameters", f.getValue()));

            assertThat(properties.get("ReservedConcurrentExecutions")).as(f.getKey())
                    .isEqualTo(Map.of("Ref", f.getValue()));
            assertThat(parameter.get("Type")).isEqualTo("Number");
            assertThat((Integer) parameter.get("MinValue")).as("0 would stop the function").isEqualTo(1);
            assertThat((Integer) parameter.get("Default")).isBetween(1, 50);
            // Throttled events wait in the event queue until this age, then go to the failure queue.
            assertThat((Integer) path(properties, "EventInvokeConfig", "MaximumEventAgeInSeconds"))
                    .isBetween(60, 21600);
        }
        assertThat(path(template, "Resources", "PredictFunction", "Properties", "ReservedConcurrentExecutions"))
                .as("the API keeps the account's unreserved concurrency").isNull();
    }

    @Test
    void modelPrefix_allowedPattern_takesAFolderOutsideTheServicesOwnPrefixes() throws IOException {
        Map<String, Object> parameter = map(path(template(), "Parameters", "ModelPrefix"));
        // CloudFormation patterns are Java regexes that must match the whole value.
        Pattern allowed = Pattern.compile((String) parameter.get("AllowedPattern"));

        assertThat(List.of("models/", "ml-models/", "team.a/models_v2/", (String) parameter.get("Default")))
                .allMatch(p -> allowed.matcher(p).matches());
        assertThat(List.of("", "/", "*", "models", "models/*", "/models/", "models//", "../", "./models/",
                "Models/", "incoming/", "scored/", "staging/", "jobs/", "logs/", "incoming/models/",
                "scored/churn/", "logs/emr/"))
                .noneMatch(p -> allowed.matcher(p).matches());
        assertThat(parameter.get("ConstraintDescription")).asString()
                .contains("incoming/", "scored/", "staging/", "jobs/");
    }

    @Test
    void dataBucket_expiresClientTokenMarkers_afterEveryRedeliveryOrRedriveOfTheirEvent() throws IOException {
        Map<String, Object> resources = map(template().get("Resources"));
        List<Map<String, Object>> rules = list(path(resources, "DataBucket", "Properties", "LifecycleConfiguration",
                "Rules"));

        List<Map<String, Object>> markers = rules.stream().filter(r -> "jobs/by-token/".equals(r.get("Prefix")))
                .toList();
        assertThat(markers).hasSize(1);
        assertThat(markers.get(0).get("Status")).isEqualTo("Enabled");
        int days = (Integer) markers.get(0).get("ExpirationInDays");
        for (String queue : List.of("UploadFailuresQueue", "JobEventFailuresQueue")) {
            int retentionSeconds = (Integer) path(resources, queue, "Properties", "MessageRetentionPeriod");
            assertThat(days * 86_400).as("a redriven %s event still finds its marker", queue)
                    .isGreaterThan(retentionSeconds + 86_400);
        }
        assertThat(rules).as("job records stay: GET /jobs/{jobId} answers from them")
                .noneMatch(r -> r.get("ExpirationInDays") != null && !"jobs/by-token/".equals(r.get("Prefix"))
                        && (r.get("Prefix") == null && r.get("Filter") == null
                        || r.get("Prefix") instanceof String p && "jobs/".startsWith(p)));
    }

    @Test
    void deployingDocs_nameEveryConcurrencyParameterAndEveryExpiringPrefix() throws IOException {
        Map<String, Object> template = template();
        String docs = Files.readString(Path.of("../docs/deploying.md"));
        List<String> named = new ArrayList<>(map(template.get("Parameters")).keySet().stream()
                .filter(p -> p.endsWith("Concurrency")).toList());
        named.add("ModelPrefix");
        list(path(template, "Resources", "DataBucket", "Properties", "LifecycleConfiguration", "Rules")).stream()
                .map(r -> r.get("Prefix")).filter(String.class::isInstance).map(String.class::cast)
                .forEach(named::add);

        assertThat(named).contains("UploadConcurrency", "JobEventsConcurrency", "jobs/by-token/")
                .allSatisfy(n -> assertThat(docs).contains("`" + n));
    }

    /** At most two retries, then the event goes to an SQS queue of the template the function may send to. */
    @SuppressWarnings("unchecked")
    private static void assertFailedEventsGoTo(Map<String, Object> resources, String function, String queue) {
        Map<String, Object> invoke = map(path(resources, function, "Properties", "EventInvokeConfig"));
        Map<String, Object> onFailure = map(path(invoke, "DestinationConfig", "OnFailure"));

        assertThat(invoke.get("MaximumRetryAttempts")).as(function).isEqualTo(2);
        assertThat(onFailure.get("Type")).isEqualTo("SQS");
        List<String> target = (List<String>) map(onFailure.get("Destination")).get("Fn::GetAtt");
        assertThat(target).containsExactly(queue, "Arn");
        assertThat(path(resources, queue, "Type")).isEqualTo("AWS::SQS::Queue");
        assertThat(allowStatements(resources.get(function)))
                .anySatisfy(st -> {
                    assertThat(actions(st)).containsExactly("sqs:SendMessage");
                    assertThat(st.get("Resource")).isEqualTo(Map.of("Fn::GetAtt", List.of(queue, "Arn")));
                });
    }

    /** Every Allow statement's object resources for an action end in one of the given prefixes + "/*". */
    private static void assertS3Prefixes(Map<String, Object> resources, String logicalId, String action,
                                         String... prefixes) {
        List<String> seen = new ArrayList<>();
        for (Map<String, Object> s : allowStatements(resources.get(logicalId))) {
            if (!actions(s).contains(action)) {
                continue;
            }
            for (String r : resources(s)) {
                String key = r.substring(r.indexOf("-data/") + "-data/".length());
                String prefix = key.replace("${ModelPrefix}", "models/").replaceAll("/?\\*$", "");
                seen.add(prefix);
                assertThat(prefixes).as("%s %s on %s", logicalId, action, r).contains(prefix);
            }
        }
        assertThat(seen).as("%s has %s at all", logicalId, action).isNotEmpty();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> allowStatements(Object node) {
        List<Map<String, Object>> found = new ArrayList<>();
        if (node instanceof Map<?, ?> m) {
            if (m.containsKey("Effect") && m.containsKey("Action")) {
                if ("Allow".equals(m.get("Effect"))) {
                    found.add((Map<String, Object>) m);
                }
            } else {
                m.values().forEach(v -> found.addAll(allowStatements(v)));
            }
        } else if (node instanceof List<?> l) {
            l.forEach(v -> found.addAll(allowStatements(v)));
        }
        return found;
    }

    private static List<String> actions(Map<String, Object> statement) {
        return strings(statement.get("Action"));
    }

    /** Resources as text: plain strings, Fn::Sub templates, or "GetAtt X.Y". */
    private static List<String> resources(Map<String, Object> statement) {
        Object r = statement.get("Resource");
        List<Object> list = r instanceof List<?> l ? new ArrayList<>(l) : List.of(r);
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            if (o instanceof Map<?, ?> m && m.get("Fn::Sub") != null) {
                out.add(String.valueOf(m.get("Fn::Sub")));
            } else if (o instanceof Map<?, ?> m && m.get("Fn::GetAtt") instanceof List<?> g) {
                out.add("GetAtt " + g.get(0) + "." + g.get(1));
            } else {
                out.add(String.valueOf(o));
            }
        }
        return out;
    }

    private static List<String> strings(Object value) {
        return value instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of(String.valueOf(value));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object node) {
        return (List<Map<String, Object>>) node;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object node) {
        return (Map<String, Object>) node;
    }

    private static Object path(Map<String, Object> root, String... keys) {
        Object node = root;
        for (String k : keys) {
            node = map(node).get(k);
        }
        return node;
    }
}
