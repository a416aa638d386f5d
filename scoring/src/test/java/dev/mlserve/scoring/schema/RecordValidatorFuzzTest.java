package dev.mlserve.scoring.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mlserve.scoring.bundle.FieldSpec;
import dev.mlserve.scoring.bundle.FieldType;
import dev.mlserve.scoring.error.BadInputException;
import dev.mlserve.scoring.schema.RecordValidator.Mode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON-ish records (strings, numbers including NaN, infinities and huge ones, booleans, nulls,
 * nested lists and maps, unknown fields) against a fixed schema with one field of each type: the
 * validator answers typed rows or refuses with {@link BadInputException}, whose details stay capped
 * at {@link BadInputException#MAX_DETAILS}. Both value modes (JSON values, CSV text cells) are fuzzed.
 * Seeds: RecordValidatorFuzzTestInputs/ in test resources (raw bytes for the FuzzedDataProvider).
 */
class RecordValidatorFuzzTest {

    private static final List<FieldSpec> SCHEMA = List.of(
            new FieldSpec("plan", FieldType.STRING, false),
            new FieldSpec("tenure", FieldType.DOUBLE, false),
            new FieldSpec("charges", FieldType.FLOAT, true),
            new FieldSpec("calls", FieldType.INT, false),
            new FieldSpec("id", FieldType.LONG, true),
            new FieldSpec("autopay", FieldType.BOOLEAN, true));
    private static final String[] NAMES = {"plan", "tenure", "charges", "calls", "id", "autopay", "extra", "",
        "Plan", "tenure "};

    @FuzzTest(maxDuration = "2m")
    void convertAll(FuzzedDataProvider data) {
        Mode mode = data.consumeBoolean() ? Mode.JSON : Mode.TEXT;
        RecordValidator validator = new RecordValidator(SCHEMA, mode, data.consumeBoolean());
        int count = data.consumeInt(0, 200);
        List<Object> records = new ArrayList<>(count);
        for (int i = 0; i < count && data.remainingBytes() > 0; i++) {
            records.add(data.consumeInt(0, 15) == 0 ? value(data, 1) : record(data, 1));
        }
        try {
            List<Object[]> rows = validator.convertAll(records);
            assertThat(rows).hasSize(records.size()).allSatisfy(row -> assertThat(row).hasSize(SCHEMA.size()));
        } catch (BadInputException expected) {
            assertThat(expected.violations()).isNotEmpty().hasSizeLessThanOrEqualTo(BadInputException.MAX_DETAILS);
            assertThat(expected.invalidRecords()).isBetween(1L, (long) records.size());
        }
    }

    private static Map<String, Object> record(FuzzedDataProvider data, int depth) {
        Map<String, Object> record = new LinkedHashMap<>();
        int fields = data.consumeInt(0, 12);
        for (int f = 0; f < fields && data.remainingBytes() > 0; f++) {
            String name = data.consumeBoolean() ? data.pickValue(NAMES) : data.consumeString(12);
            record.put(name, value(data, depth));
        }
        return record;
    }

    private static Object value(FuzzedDataProvider data, int depth) {
        int kind = data.consumeInt(0, depth < 4 ? 15 : 13);
        return switch (kind) {
            case 0 -> null;
            case 1 -> data.consumeString(64);
            case 2 -> data.consumeBoolean();
            case 3 -> data.consumeInt();
            case 4 -> data.consumeLong();
            case 5 -> data.consumeDouble(); // NaN, infinities and extremes included
            case 6 -> data.pickValue(new Double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                -0.0, Double.MIN_VALUE, Double.MAX_VALUE, 0x1p63, -0x1p63, 2147483648.0, 1e300});
            case 7 -> new BigInteger(1, data.consumeBytes(64)); // up to 512 bits
            case 8 -> bigDecimal(data);
            case 9 -> data.consumeFloat();
            case 10 -> (short) data.consumeShort();
            case 11 -> data.consumeByte();
            case 12 -> data.pickValue(new String[] {"NaN", "Infinity", "-Infinity", "inf", "1e999", "-0",
                "9223372036854775808", "2147483648", "1.5", " 12 ", "true", "TRUE", "yes", "", "0x10", "1_000"});
            case 13 -> data.consumeAsciiString(32);
            case 14 -> {
                List<Object> list = new ArrayList<>();
                int n = data.consumeInt(0, 4);
                for (int i = 0; i < n; i++) {
                    list.add(value(data, depth + 1));
                }
                yield list;
            }
            default -> record(data, depth + 1);
        };
    }

    private static Object bigDecimal(FuzzedDataProvider data) {
        try {
            return new BigDecimal(data.consumeAsciiString(40));
        } catch (NumberFormatException notANumber) {
            return new BigDecimal(BigInteger.valueOf(data.consumeLong()), data.consumeInt(-400, 400));
        }
    }
}
