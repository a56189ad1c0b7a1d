import Testing
@testable import BFSProxy

@Suite struct EntityTagTests {
    @Test(arguments: [
        ("\"abc\"", EntityTag(opaque: "abc")),
        ("W/\"abc\"", EntityTag(opaque: "abc", isWeak: true)),
        (" \"\" ", EntityTag(opaque: "")),
        ("\"a!#~\u{80}\"", EntityTag(opaque: "a!#~\u{80}")),
    ])
    func parsesOneTag(text: String, expected: EntityTag) {
        #expect(EntityTag.parse(text[...]) == expected)
    }

    @Test(arguments: ["abc", "\"abc", "w/\"abc\"", "\"a b\"", "\"abc\" x", "\"a\",\"b\"", ""])
    func rejectsMalformedTag(text: String) {
        #expect(EntityTag.parse(text[...]) == nil)
    }

    @Test func comparisons() {
        let strong = EntityTag(opaque: "x"), weak = EntityTag(opaque: "x", isWeak: true)
        #expect(strong.matchesStrongly(strong))
        #expect(!weak.matchesStrongly(strong) && !strong.matchesStrongly(weak) && !weak.matchesStrongly(weak))
        #expect(weak.matchesWeakly(strong) && strong.matchesWeakly(weak))
        #expect(!strong.matchesWeakly(EntityTag(opaque: "y")))
        #expect(weak.description == "W/\"x\"" && strong.description == "\"x\"")
    }

    @Test func conditionLists() {
        #expect(EntityTagCondition.parse([]) == nil)
        #expect(EntityTagCondition.parse([" * "]) == .any)
        #expect(EntityTagCondition.parse(["*", "\"a\""]) == nil)
        #expect(EntityTagCondition.parse(["\"a\", *"]) == nil)
        #expect(EntityTagCondition.parse([",,"]) == nil)
        #expect(EntityTagCondition.parse(["\"a\" \"b\""]) == nil)
        #expect(EntityTagCondition.parse(["\"a\",W/\"b\"", "\"c\""])
            == .tags([EntityTag(opaque: "a"), EntityTag(opaque: "b", isWeak: true), EntityTag(opaque: "c")]))
    }
}
