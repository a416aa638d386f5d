package dev.mlserve.scoring.fast;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.InterpretedUnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.BasePredicate;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.Nondeterministic;
import org.apache.spark.sql.catalyst.expressions.Predicate;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.plans.logical.Filter;
import org.apache.spark.sql.catalyst.plans.logical.LocalRelation;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.plans.logical.SubqueryAlias;
import org.apache.spark.sql.catalyst.plans.logical.View;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.internal.SQLConf$;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import scala.Function1;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * Compiles any row-wise pipeline into a {@link FastPipeline} from Spark's own plan instead of
 * re-implementing its stages: {@code transform} over an empty DataFrame of the input schema yields
 * an analyzed logical plan; for a row-wise pipeline that plan is a chain of {@code Project} and
 * {@code Filter} nodes (with {@code SubqueryAlias}/{@code View} wrappers, from SQLTransformer) over
 * the input's {@code LocalRelation}. Each node's expressions, the UDFs the stages' {@code transform}
 * built included, are bound to the node below and evaluated per row with Spark's own
 * {@link UnsafeProjection} and {@link Predicate}, so the answers are Spark's. Input values become
 * Spark's internal row through {@link CatalystTypeConverters}, outputs come back the same way.
 *
 * <p>Refused, with the node or expression named: any other plan node (a join, an aggregate, a
 * window, a generator such as explode: not row-wise), expressions with per-partition state (rand,
 * monotonically_increasing_id: their answer depends on the row's position in Spark's partition) and
 * subqueries. A row a {@code Filter} drops
 * ({@code handleInvalid=skip}) is a {@link Fallback}: the request goes through {@code transform}, which
 * answers it the way it answers such rows. Any error while evaluating a row is a {@link Fallback} too,
 * so a failing record fails exactly as {@code transform} fails it.
 */
public final class PlanCompiler {
    private PlanCompiler() {
    }

    /**
     * Needs the session ({@code transform} is planned, not run: no Spark job runs unless a stage's
     * {@code transform} starts one itself).
     */
    public static FastPathCompiler.Compilation compile(SparkSession spark, PipelineModel model,
                                                       StructType inputSchema) {
        LogicalPlan plan;
        try {
            plan = model.transform(spark.createDataFrame(Collections.<Row>emptyList(), inputSchema))
                    .queryExecution().analyzed();
        } catch (RuntimeException e) {
            return new FastPathCompiler.Compilation(null, "transform cannot be planned: " + e.getMessage());
        }
        try {
            return new FastPathCompiler.Compilation(pipeline(plan, inputSchema), null);
        } catch (UnsupportedStage e) {
            return new FastPathCompiler.Compilation(null, e.getMessage());
        }
    }

    private static FastPipeline pipeline(LogicalPlan plan, StructType inputSchema) {
        List<LogicalPlan> topDown = new ArrayList<>();
        LogicalPlan node = plan;
        while (!(node instanceof LocalRelation)) {
            if (node instanceof Project p) {
                topDown.add(p);
                node = p.child();
            } else if (node instanceof Filter f) {
                topDown.add(f);
                node = f.child();
            } else if (node instanceof SubqueryAlias s) {
                node = s.child();
            } else if (node instanceof View v) {
                node = v.child();
            } else {
                throw new UnsupportedStage("the pipeline's plan has a " + node.nodeName()
                        + " node, which is not row by row");
            }
        }
        List<Attribute> leaf = JavaConverters.seqAsJavaList(node.output());
        if (leaf.size() != inputSchema.size()) {
            throw new UnsupportedStage("the plan's input has " + leaf.size() + " columns, the bundle's schema "
                    + inputSchema.size());
        }
        List<PlanStep.Node> bottomUp = new ArrayList<>();
        List<Attribute> below = leaf;
        for (int i = topDown.size() - 1; i >= 0; i--) {
            LogicalPlan n = topDown.get(i);
            if (n instanceof Project p) {
                List<Expression> list = new ArrayList<>();
                for (NamedExpression named : JavaConverters.seqAsJavaList(p.projectList())) {
                    Expression e = (Expression) named;
                    requireRowWise(e, "Project");
                    list.add(e);
                }
                bottomUp.add(new PlanStep.Node(list.toArray(new Expression[0]), null, below.toArray(new Attribute[0])));
            } else {
                Filter f = (Filter) n;
                requireRowWise(f.condition(), "Filter");
                bottomUp.add(new PlanStep.Node(null, f.condition(), below.toArray(new Attribute[0])));
            }
            below = JavaConverters.seqAsJavaList(n.output());
        }
        Map<String, Integer> slots = new LinkedHashMap<>();
        for (String field : inputSchema.fieldNames()) {
            slots.put(field, slots.size());
        }
        int[] targets = new int[below.size()];
        DataType[] types = new DataType[below.size()];
        for (int i = 0; i < below.size(); i++) {
            String name = below.get(i).name();
            targets[i] = slots.computeIfAbsent(name, k -> slots.size());
            types[i] = below.get(i).dataType();
        }
        PlanStep step = new PlanStep(inputSchema, bottomUp, targets, types);
        return new FastPipeline(slots, inputSchema.size(), List.of(step));
    }

    private static void requireRowWise(Expression e, String where) {
        // Spark marks some stages' UDFs nondeterministic (VectorAssembler's) only to keep the optimizer
        // from reordering them; they compute each row from that row alone. Refused are expressions
        // with per-partition state (rand, monotonically_increasing_id, ...).
        if (e instanceof Nondeterministic) {
            throw new UnsupportedStage("the pipeline's " + where + " has a nondeterministic expression ("
                    + abbreviate(e.sql()) + "): its answer depends on the row's position in a Spark partition");
        }
        if (e instanceof SubqueryExpression) {
            throw new UnsupportedStage("the pipeline's " + where + " has a subquery (" + abbreviate(e.sql()) + ")");
        }
        for (Expression child : JavaConverters.seqAsJavaList(e.children())) {
            requireRowWise(child, where);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 120) + "...";
    }

    /**
     * The whole plan as one step: the input slots to Spark's internal row, each node in turn, and
     * the top node's columns back into their slots. Projections are not thread-safe and reuse their
     * output row: each thread builds its own on first use (they are not serialized; the
     * expressions are, as Spark ships them to its tasks).
     */
    static final class PlanStep implements Step {
        private static final long serialVersionUID = 1L;

        /** A Project ({@code projection} set) or a Filter ({@code condition} set) over {@code input}. */
        record Node(Expression[] projection, Expression condition, Attribute[] input) implements Serializable {
        }

        private final StructType inputSchema;
        private final List<Node> nodes;
        private final int[] targets;
        private final DataType[] types;
        private transient ThreadLocal<Compiled> compiled;
        private transient volatile boolean codegenStarted;
        private transient volatile boolean codegenReady;
        private transient boolean originalsTaken;

        PlanStep(StructType inputSchema, List<Node> nodes, int[] targets, DataType[] types) {
            this.inputSchema = inputSchema;
            this.nodes = List.copyOf(nodes);
            this.targets = targets;
            this.types = types;
        }

        @Override
        public void apply(Object[] row) {
            Compiled c = compiled();
            if (c.conf() == null) {
                evaluate(c, row);
            } else {
                // Spark's interpreted evaluation creates some evaluators lazily on the first row (the
                // serializer of a UDF returning a vector): keep those interpreted too, so a cold
                // start never waits for generated code
                SQLConf$.MODULE$.withExistingConf(c.conf(), () -> {
                    evaluate(c, row);
                    return null;
                });
            }
        }

        private void evaluate(Compiled c, Object[] row) {
            InternalRow current;
            try {
                current = (InternalRow) c.toInternal.apply(RowFactory.create(
                        java.util.Arrays.copyOf(row, inputSchema.size())));
                for (int i = 0; i < nodes.size(); i++) {
                    if (c.projections[i] != null) {
                        current = c.projections[i].apply(current);
                    } else if (!c.predicates[i].eval(current)) {
                        throw new Fallback("a filter of the pipeline drops this row (handleInvalid=skip)");
                    }
                }
                for (int i = 0; i < targets.length; i++) {
                    row[targets[i]] = c.toScala[i].apply(current.get(i, types[i]));
                }
            } catch (Fallback e) {
                throw e;
            } catch (Exception e) { // a stage's UDF fails with Spark's checked SparkException
                throw new Fallback("Spark's evaluation of this row failed: " + e);
            }
        }

        /**
         * This thread's evaluator. The first ones use Spark's interpreted projections, ready at once
         * (a cold start answers without waiting for code generation); meanwhile one background thread
         * generates and compiles the code (Spark caches the classes), and each thread moves to the
         * generated projections on its next row once they are ready. Both are Spark's own
         * evaluation of the same expressions and give the same answers.
         */
        private Compiled compiled() {
            ThreadLocal<Compiled> local = compiled;
            if (local == null) {
                synchronized (this) {
                    if (compiled == null) {
                        compiled = ThreadLocal.withInitial(() -> compile(codegenReady));
                    }
                    local = compiled;
                }
            }
            Compiled c = local.get();
            if (!c.generated()) {
                if (codegenReady) {
                    c = compile(true);
                    local.set(c);
                } else {
                    startCodegen();
                }
            }
            return c;
        }

        private synchronized void startCodegen() {
            if (codegenStarted) {
                return;
            }
            codegenStarted = true;
            Thread thread = new Thread(() -> {
                try {
                    compile(true);
                    codegenReady = true;
                } catch (RuntimeException e) {
                    // Spark's interpreted evaluation stays: same answers, slower
                    org.slf4j.LoggerFactory.getLogger(PlanCompiler.class).warn(
                            "code generation for a compiled plan failed, evaluating it interpreted: {}", e.toString());
                }
            }, "mlserve-plan-codegen");
            thread.setDaemon(true);
            thread.start();
        }

        @SuppressWarnings("unchecked")
        private Compiled compile(boolean generated) {
            // Expressions hold state while they evaluate: a lambda's variable (aggregate(xs, 0D, (acc, x)
            // -> ...)) its current value, a UDF's result serializer the row it reuses. Every evaluator
            // but the first gets a private copy of the plan, as each Spark task deserializes its own.
            List<Node> own = claimOriginals() ? nodes : copy(nodes);
            UnsafeProjection[] projections = new UnsafeProjection[own.size()];
            BasePredicate[] predicates = new BasePredicate[own.size()];
            for (int i = 0; i < own.size(); i++) {
                Node n = own.get(i);
                Seq<Attribute> input = seq(n.input());
                if (n.projection() != null) {
                    projections[i] = generated ? UnsafeProjection.create(seq(n.projection()), input)
                            : InterpretedUnsafeProjection.createProjection(Binding.bind(seq(n.projection()), input));
                    projections[i].initialize(0);
                } else {
                    predicates[i] = generated ? Predicate.create(n.condition(), input)
                            : Predicate.createInterpreted(Binding.bind(n.condition(), input));
                    predicates[i].initialize(0);
                }
            }
            Function1<Object, Object>[] toScala = new Function1[types.length];
            for (int i = 0; i < types.length; i++) {
                toScala[i] = CatalystTypeConverters.createToScalaConverter(types[i]);
            }
            SQLConf conf = null;
            if (!generated && org.apache.spark.TaskContext.get() == null) { // a task's conf is read-only
                conf = SQLConf.get().clone();
                conf.setConfString("spark.sql.codegen.factoryMode", "NO_CODEGEN");
            }
            return new Compiled(CatalystTypeConverters.createToCatalystConverter(inputSchema), projections,
                    predicates, toScala, generated, conf);
        }

        /** True for the first evaluator only: it may use the plan's own expressions. */
        private synchronized boolean claimOriginals() {
            boolean first = !originalsTaken;
            originalsTaken = true;
            return first;
        }

        @SuppressWarnings("unchecked")
        private static List<Node> copy(List<Node> nodes) {
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                    out.writeObject(new ArrayList<>(nodes));
                }
                try (ObjectInputStream in = new LoaderObjectInputStream(
                        new ByteArrayInputStream(bytes.toByteArray()), PlanCompiler.class.getClassLoader())) {
                    return (List<Node>) in.readObject();
                }
            } catch (IOException | ClassNotFoundException e) {
                throw new IllegalStateException("cannot copy the compiled plan for this thread: " + e, e);
            }
        }

        private static <T> Seq<T> seq(T[] values) {
            return JavaConverters.asScalaBuffer(java.util.Arrays.asList(values)).toSeq();
        }

        private record Compiled(Function1<Object, Object> toInternal, UnsafeProjection[] projections,
                                BasePredicate[] predicates, Function1<Object, Object>[] toScala, boolean generated,
                                SQLConf conf) {
        }
    }

    /** Resolves classes through the loader that holds Spark and this library (not the JDK's default). */
    private static final class LoaderObjectInputStream extends ObjectInputStream {
        private final ClassLoader loader;

        LoaderObjectInputStream(java.io.InputStream in, ClassLoader loader) throws IOException {
            super(in);
            this.loader = loader;
        }

        @Override
        protected Class<?> resolveClass(java.io.ObjectStreamClass desc) throws IOException, ClassNotFoundException {
            try {
                return Class.forName(desc.getName(), false, loader);
            } catch (ClassNotFoundException e) {
                return super.resolveClass(desc);
            }
        }
    }

    /**
     * Spark's {@code BindReferences} (attributes to input ordinals), which the interpreted
     * projections need. Its input type, {@code AttributeSeq}, is a class of the Scala package object
     * {@code expressions}, which Java source cannot name: reached by reflection, once per compile.
     */
    private static final class Binding {
        private static final Class<?> ATTRIBUTE_SEQ;
        private static final java.lang.reflect.Method BIND_ALL;
        private static final java.lang.reflect.Method BIND_ONE;

        static {
            try {
                ATTRIBUTE_SEQ = Class.forName("org.apache.spark.sql.catalyst.expressions.package$AttributeSeq", true,
                        Expression.class.getClassLoader());
                Class<?> bind = Class.forName("org.apache.spark.sql.catalyst.expressions.BindReferences", true,
                        Expression.class.getClassLoader());
                BIND_ALL = bind.getMethod("bindReferences", Seq.class, ATTRIBUTE_SEQ);
                BIND_ONE = bind.getMethod("bindReference", Expression.class, ATTRIBUTE_SEQ, boolean.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private Binding() {
        }

        private static Object attributes(Seq<Attribute> input) throws ReflectiveOperationException {
            return ATTRIBUTE_SEQ.getConstructor(Seq.class).newInstance(input);
        }

        @SuppressWarnings("unchecked")
        static Seq<Expression> bind(Seq<Expression> expressions, Seq<Attribute> input) {
            try {
                return (Seq<Expression>) BIND_ALL.invoke(null, expressions, attributes(input));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot bind the plan's expressions: " + e, e);
            }
        }

        static Expression bind(Expression expression, Seq<Attribute> input) {
            try {
                return (Expression) BIND_ONE.invoke(null, expression, attributes(input), false);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot bind the plan's condition: " + e, e);
            }
        }
    }
}
