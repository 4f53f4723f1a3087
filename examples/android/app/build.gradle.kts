plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

// Inputs of the native build, as -P options or in gradle.properties (README.md).
val androidDeps = providers.gradleProperty("gemmac.androidDeps").orElse("")
val modelLibrary = providers.gradleProperty("gemmac.modelLibrary").orElse("")

android {
    namespace = "dev.gemmac.example"
    compileSdk = 35
    ndkVersion = "27.2.12479018"

    defaultConfig {
        applicationId = "dev.gemmac.example"
        minSdk = 24 // the arm64-android target's triple is aarch64-linux-android24
        targetSdk = 35
        versionCode = 1
        versionName = "0.1"
        ndk {
            abiFilters += "arm64-v8a" // the one Android ABI gemmac compiles for
        }
        externalNativeBuild {
            cmake {
                arguments += listOf(
                    "-DGEMMAC_ANDROID_DEPS=${androidDeps.get()}",
                    "-DGEMMAC_MODEL_LIBRARY=${modelLibrary.get()}",
                )
                targets += "gemmac_jni"
            }
        }
    }

    externalNativeBuild {
        cmake {
            path = file("src/main/cpp/CMakeLists.txt")
            version = "3.22.1"
        }
    }

    buildTypes {
        release {
            // The debug key makes assembleRelease installable as it is; sign
            // with your own key to distribute.
            signingConfig = signingConfigs.getByName("debug")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_11
        targetCompatibility = JavaVersion.VERSION_11
    }
    kotlinOptions {
        jvmTarget = "11"
    }
}
