package dev.mlserve.scoring.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

/** The one Jackson configuration of the project. */
public final class Json {
    /**
     * Deepest nesting of objects and arrays any document may have (docs/validation.md). A request
     * body needs 4 levels and a bundle or manifest a few more; the parser refuses anything deeper,
     * so no code that walks a parsed value can recurse deeper than this.
     */
    public static final int MAX_NESTING_DEPTH = 64;

    /**
     * Accepts the non-standard NaN/Infinity tokens so the validator can name them as the problem
     * instead of answering a generic parse error; reads floating point as Double, never BigDecimal.
     * A document ends where its value ends: anything after it (a second value, stray text) fails
     * the read instead of being silently dropped. A key given twice in one object fails it too:
     * which of two values a record meant is not ours to guess.
     */
    public static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
            .build())
            .enable(JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private Json() {
    }

    /**
     * What is wrong with a document {@link #MAPPER} refused, in words for the sender and without
     * quoting the input beyond what Jackson's first message line does: too deep, content after the
     * value, or Jackson's own first line (its location is not included).
     */
    public static String problem(JsonProcessingException e) {
        String first = String.valueOf(e.getOriginalMessage()).lines().findFirst().orElse("malformed JSON");
        if (e instanceof StreamConstraintsException && first.contains("nesting depth")) {
            return "JSON nested deeper than " + MAX_NESTING_DEPTH + " levels";
        }
        if (e instanceof MismatchedInputException && first.startsWith("Trailing token")) {
            return "unexpected content after the end of the JSON value";
        }
        return first;
    }
}
