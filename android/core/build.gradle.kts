// The Rust core for the app: libridewire_ffi.so for each ABI (in
// src/main/jniLibs, written by `cargo xtask android`), the Kotlin bindings
// uniffi generates (build/generated/uniffi) and the plain-Kotlin view-model
// and notification rules over them (src/main/kotlin, also run on the JVM
// by ffi/tests/hosts.rs).
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "com.ridewire.core"
    compileSdk = 35
    defaultConfig {
        minSdk = 29
    }
    sourceSets["main"].kotlin.srcDir("build/generated/uniffi")
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions {
        jvmTarget = "17"
    }
}

dependencies {
    // uniffi's Kotlin calls the library through JNA (the Android build).
    api("net.java.dev.jna:jna:5.13.0@aar")
    api("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.8.1")
}
