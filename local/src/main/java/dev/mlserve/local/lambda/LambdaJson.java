package dev.mlserve.local.lambda;

import com.amazonaws.services.lambda.runtime.serialization.PojoSerializer;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import com.amazonaws.services.lambda.runtime.serialization.factories.JacksonFactory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Events and answers to and from JSON with the Lambda Java runtime's own serializers
 * (aws-lambda-java-serialization, the library aws-lambda-java-tests' EventLoader uses):
 * aws-lambda-java-events types through their mixins, anything else as a POJO.
 */
public final class LambdaJson {
    private LambdaJson() {
    }

    @SuppressWarnings("unchecked")
    public static <T> PojoSerializer<T> serializerFor(Class<T> type) {
        if (LambdaEventSerializers.isLambdaSupportedEvent(type.getName())) {
            return LambdaEventSerializers.serializerFor(type, type.getClassLoader());
        }
        return JacksonFactory.getInstance().getSerializer(type);
    }

    public static <T> T read(byte[] json, Class<T> type) {
        return serializerFor(type).fromJson(new ByteArrayInputStream(json));
    }

    @SuppressWarnings("unchecked")
    public static <T> byte[] write(T value, Class<?> declared) {
        if (value == null) {
            return "null".getBytes(StandardCharsets.UTF_8);
        }
        Class<T> type = (Class<T>) (declared == null || declared == Object.class ? value.getClass() : declared);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        serializerFor(type).toJson(value, out);
        return out.toByteArray();
    }
}
