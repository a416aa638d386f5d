package dev.mlserve.scoring.schema;

import dev.mlserve.scoring.bundle.FieldSpec;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.error.Violation;
import java.util.*;

/** TEMPORARY STUB (replaced by the validator branch). */
public final class RecordValidator implements java.io.Serializable {
    public enum Mode { JSON, TEXT }
    private final List<FieldSpec> schema; private final Mode mode; private final boolean allowUnknown;
    public RecordValidator(List<FieldSpec> schema, Mode mode, boolean allowUnknownFields) { this.schema = schema; this.mode = mode; this.allowUnknown = allowUnknownFields; }
    public Object[] convert(int index, Map<String, ?> record, List<Violation> violations) {
        Object[] out = new Object[schema.size()]; int before = violations.size();
        for (int i = 0; i < schema.size(); i++) { FieldSpec f = schema.get(i); Object v = record.get(f.name());
            if (v == null) { if (!f.nullable()) violations.add(new Violation(index, f.name(), "null")); continue; }
            try { out[i] = switch (f.type()) { case STRING -> v.toString(); case DOUBLE -> v instanceof Number n ? n.doubleValue() : Double.parseDouble(v.toString());
                case FLOAT -> v instanceof Number n ? n.floatValue() : Float.parseFloat(v.toString()); case INT -> v instanceof Number n ? n.intValue() : Integer.parseInt(v.toString());
                case LONG -> v instanceof Number n ? n.longValue() : Long.parseLong(v.toString()); case BOOLEAN -> v instanceof Boolean b ? b : Boolean.parseBoolean(v.toString()); };
            } catch (RuntimeException e) { violations.add(new Violation(index, f.name(), "bad " + f.type())); } }
        return violations.size() > before ? null : out; }
    public Object[] convertAny(int index, Object record, List<Violation> violations) {
        if (!(record instanceof Map<?, ?> m)) { violations.add(new Violation(index, null, "record is not a JSON object")); return null; }
        @SuppressWarnings("unchecked") Map<String, ?> r = (Map<String, ?>) m; return convert(index, r, violations); }
    public List<Object[]> convertAll(List<?> records) { List<Violation> v = new ArrayList<>(); List<Object[]> out = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) out.add(convertAny(i, records.get(i), v));
        if (!v.isEmpty()) throw new BadInputException("invalid", v); return out; }
}
