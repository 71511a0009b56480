// The app: GameActivity runs the Bevy client from libridewire_ffi.so
// full-screen; the Kotlin here is the Android glue around it (camera,
// background sync, notifications).
plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "com.ridewire.app"
    compileSdk = 35
    defaultConfig {
        applicationId = "com.ridewire.app"
        // Vulkan 1.1 (Bevy's renderer) is on every device from Android 10.
        minSdk = 29
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
    }
    // The app's assets (models, overlay packs, the demo recording, tiles):
    // Bevy reads models from the APK; the rest is unpacked to files/assets
    // on first start (Assets.kt).
    sourceSets["main"].assets.srcDir("../../assets")
    androidResources {
        // .glb, .json and .pgm stay uncompressed: read straight from the APK.
        noCompress += listOf("glb", "pgm")
    }
    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions {
        jvmTarget = "17"
    }
}

dependencies {
    implementation(project(":core"))
    // The Java half of GameActivity; android-activity 0.6 (Bevy's) matches 4.x.
    implementation("androidx.games:games-activity:4.4.0")
    implementation("androidx.appcompat:appcompat:1.7.0")
    implementation("androidx.core:core-ktx:1.15.0")
    implementation("androidx.camera:camera-core:1.4.1")
    implementation("androidx.camera:camera-camera2:1.4.1")
    implementation("androidx.camera:camera-lifecycle:1.4.1")
    implementation("androidx.work:work-runtime-ktx:2.10.0")
}
