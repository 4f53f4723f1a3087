// The engine's scheduling rule: decode rows first, prefill chunks after in
// admission order, within the step's rows.
#include "step_plan.h"

#include <gtest/gtest.h>

namespace gemmac_serve {
namespace {

bool operator==(const PlannedEntry& a, const PlannedEntry& b) {
  return a.slot == b.slot && a.count == b.count && a.logits == b.logits;
}

TEST(StepPlan, EveryDecodingSlotGetsOneRowWithLogits) {
  const auto plan = planStep({{0, 0, 0}, {2, 0, 1}, {5, 0, 2}}, 8, 4);
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_TRUE((plan[0] == PlannedEntry{0, 1, true}));
  EXPECT_TRUE((plan[1] == PlannedEntry{2, 1, true}));
  EXPECT_TRUE((plan[2] == PlannedEntry{5, 1, true}));
}

TEST(StepPlan, ALongPromptAdvancesAChunkPerStepWhileOthersDecode) {
  // Slot 1 has 300 prompt tokens left; slots 0 and 2 decode.
  const auto plan = planStep({{0, 0, 0}, {1, 300, 1}, {2, 0, 2}}, 128, 64);
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_TRUE((plan[0] == PlannedEntry{0, 1, true}));
  EXPECT_TRUE((plan[1] == PlannedEntry{2, 1, true}));
  EXPECT_TRUE((plan[2] == PlannedEntry{1, 64, false}));  // a chunk, no logits yet
}

TEST(StepPlan, ThePromptsLastChunkAsksForLogits) {
  const auto plan = planStep({{3, 10, 0}}, 128, 64);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_TRUE((plan[0] == PlannedEntry{3, 10, true}));
}

TEST(StepPlan, PrefillTakesTheRowsLeftInAdmissionOrder) {
  // 2 decode rows leave 6 of 8: the earliest admitted (slot 4) first, then slot 1.
  const auto plan = planStep({{0, 0, 0}, {1, 5, 9}, {2, 0, 1}, {4, 4, 3}}, 8, 4);
  ASSERT_EQ(plan.size(), 4u);
  EXPECT_TRUE((plan[2] == PlannedEntry{4, 4, true}));
  EXPECT_TRUE((plan[3] == PlannedEntry{1, 2, false}));
}

TEST(StepPlan, NoRowsLeftForPrefillWhenDecodingFillsTheStep) {
  const auto plan = planStep({{0, 0, 0}, {1, 0, 1}, {2, 7, 2}}, 2, 4);
  ASSERT_EQ(plan.size(), 2u);
  for (const PlannedEntry& entry : plan) EXPECT_NE(entry.slot, 2u);
}

TEST(StepPlan, NothingBusyPlansNothing) { EXPECT_TRUE(planStep({}, 128, 128).empty()); }

}  // namespace
}  // namespace gemmac_serve
