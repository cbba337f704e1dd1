//! The build files around the Kotlin sources: a Maven `pom.xml` (what CI runs, `mvn -B test`) and a
//! `build.gradle.kts` / `settings.gradle.kts` for Gradle users, all with the same pinned versions.
//!
//! Versions are pinned to what Maven Central serves: Kotlin 2.3.21 is the newest release whose Maven
//! serialization plugin (`kotlin-maven-serialization`) is published there (2.4.x has none).

use handoff_schema::Ir;

use crate::header;

pub(crate) const KOTLIN_VERSION: &str = "2.3.21";
pub(crate) const SERIALIZATION_VERSION: &str = "1.13.0";
pub(crate) const SUREFIRE_VERSION: &str = "3.5.4";
pub(crate) const GROUP_ID: &str = "dev.codex.handoff";
pub(crate) const ARTIFACT_ID: &str = "codex-handoff-contract";
/// The JVM the classes target (Java 17 is what the project machines have).
pub(crate) const JVM_TARGET: &str = "17";

pub(crate) fn pom_xml(ir: &Ir) -> String {
    let version = &ir.version;
    format!(
        r#"<!--
{header}-->
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
    <modelVersion>4.0.0</modelVersion>

    <groupId>{GROUP_ID}</groupId>
    <artifactId>{ARTIFACT_ID}</artifactId>
    <version>{version}</version>
    <packaging>jar</packaging>
    <name>Codex handoff contract (Kotlin)</name>
    <description>Generated kotlinx.serialization types of the Codex realtime handoff contract.</description>

    <properties>
        <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
        <kotlin.version>{KOTLIN_VERSION}</kotlin.version>
        <kotlinx.serialization.version>{SERIALIZATION_VERSION}</kotlinx.serialization.version>
        <kotlin.compiler.jvmTarget>{JVM_TARGET}</kotlin.compiler.jvmTarget>
        <!-- The repository checkout: the tests read tests/fixtures and generated/realtime from it. -->
        <contract.repository>${{project.basedir}}/../..</contract.repository>
    </properties>

    <dependencies>
        <dependency>
            <groupId>org.jetbrains.kotlin</groupId>
            <artifactId>kotlin-stdlib</artifactId>
            <version>${{kotlin.version}}</version>
        </dependency>
        <dependency>
            <groupId>org.jetbrains.kotlinx</groupId>
            <artifactId>kotlinx-serialization-json-jvm</artifactId>
            <version>${{kotlinx.serialization.version}}</version>
        </dependency>
        <dependency>
            <groupId>org.jetbrains.kotlin</groupId>
            <artifactId>kotlin-test-junit5</artifactId>
            <version>${{kotlin.version}}</version>
            <scope>test</scope>
        </dependency>
    </dependencies>

    <build>
        <sourceDirectory>src/main/kotlin</sourceDirectory>
        <testSourceDirectory>src/test/kotlin</testSourceDirectory>
        <plugins>
            <plugin>
                <groupId>org.jetbrains.kotlin</groupId>
                <artifactId>kotlin-maven-plugin</artifactId>
                <version>${{kotlin.version}}</version>
                <configuration>
                    <compilerPlugins>
                        <plugin>kotlinx-serialization</plugin>
                    </compilerPlugins>
                </configuration>
                <executions>
                    <execution>
                        <id>compile</id>
                        <goals>
                            <goal>compile</goal>
                        </goals>
                        <configuration>
                            <args>
                                <arg>-Werror</arg>
                                <arg>-Xexplicit-api=strict</arg>
                            </args>
                        </configuration>
                    </execution>
                    <execution>
                        <id>test-compile</id>
                        <goals>
                            <goal>test-compile</goal>
                        </goals>
                        <configuration>
                            <args>
                                <arg>-Werror</arg>
                            </args>
                        </configuration>
                    </execution>
                </executions>
                <dependencies>
                    <dependency>
                        <groupId>org.jetbrains.kotlin</groupId>
                        <artifactId>kotlin-maven-serialization</artifactId>
                        <version>${{kotlin.version}}</version>
                    </dependency>
                </dependencies>
            </plugin>
            <plugin>
                <groupId>org.apache.maven.plugins</groupId>
                <artifactId>maven-surefire-plugin</artifactId>
                <version>{SUREFIRE_VERSION}</version>
                <configuration>
                    <systemPropertyVariables>
                        <contract.repository>${{contract.repository}}</contract.repository>
                    </systemPropertyVariables>
                </configuration>
            </plugin>
        </plugins>
    </build>
</project>
"#,
        header = header("    ")
    )
}

pub(crate) fn build_gradle_kts(ir: &Ir) -> String {
    let version = &ir.version;
    format!(
        r#"{header}
// For Gradle users; the same build as pom.xml (which is what CI runs: `mvn -B test`).

plugins {{
    kotlin("jvm") version "{KOTLIN_VERSION}"
    kotlin("plugin.serialization") version "{KOTLIN_VERSION}"
}}

group = "{GROUP_ID}"
version = "{version}"

repositories {{
    mavenCentral()
}}

dependencies {{
    implementation("org.jetbrains.kotlinx:kotlinx-serialization-json:{SERIALIZATION_VERSION}")
    testImplementation(kotlin("test-junit5"))
}}

kotlin {{
    jvmToolchain({JVM_TARGET})
    explicitApi()
    compilerOptions {{
        allWarningsAsErrors.set(true)
    }}
}}

tasks.test {{
    useJUnitPlatform()
    // The repository checkout: the tests read tests/fixtures and generated/realtime from it.
    systemProperty("contract.repository", rootDir.resolve("../..").canonicalPath)
}}
"#,
        header = header("//")
    )
}

pub(crate) fn settings_gradle_kts() -> String {
    format!("{}\nrootProject.name = \"{ARTIFACT_ID}\"\n", header("//"))
}
