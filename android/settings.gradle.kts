// The RideWire Android app. Build the native library and the Kotlin
// bindings first (`cargo xtask android`, which then runs this build).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "RideWire"
include(":core", ":app")
